-- Every check constraint on part A's tables rejects a bad row, and names itself when it does.
-- Each case changes one column of a valid row; pg_temp.violated() reports which check fired.
-- The last assertion fails when a part-A check constraint has no case here.
begin;
create extension if not exists pgtap with schema extensions;
select plan(107);

create function pg_temp.violated(statement text) returns text
language plpgsql
as $$
declare
  v_constraint text;
begin
  begin
    execute statement;
  exception when check_violation then
    get stacked diagnostics v_constraint = constraint_name;
    return v_constraint;
  end;
  return 'no check fired';
end;
$$;

-- One valid row per table (ids 17...).
insert into auth.users (id, email) values ('17000000-0000-4000-8000-000000000001', 'checks-a@example.com');
insert into public.personality_schemas (personality_schema_id, schema_key, version, layer, parent_schema_id, schema, status, rollout_percentage) values
  ('17000000-0000-4000-8000-0000000000a1', 't170_core', '1.0.0', 'base', null, '{}', 'active', 100),
  ('17000000-0000-4000-8000-0000000000a2', 't170_overlay', '1.0.0', 'overlay', '17000000-0000-4000-8000-0000000000a1', '{}', 'draft', 0),
  ('17000000-0000-4000-8000-0000000000a3', 't170_old', '1.0.0', 'base', null, '{}', 'archived', 0);
insert into public.apps (app_id, slug, display_name, domain) values
  ('17000000-0000-4000-8000-0000000000b1', 't170_app', 'Checks', 'general');
insert into public.knowledge_bases (knowledge_base_id, slug, title) values
  ('17000000-0000-4000-8000-0000000000c1', 't170_kb', 'Checks');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content) values
  ('17000000-0000-4000-8000-0000000000c2', '17000000-0000-4000-8000-0000000000c1', 'Title', 'Content');
insert into public.user_progress (user_progress_id, user_id, app_id) values
  ('17000000-0000-4000-8000-0000000000c3', '17000000-0000-4000-8000-000000000001', '17000000-0000-4000-8000-0000000000b1');
insert into public.conversations (conversation_id, user_id, app_id, created_at, started_at) values
  ('17000000-0000-4000-8000-0000000000d1', '17000000-0000-4000-8000-000000000001', '17000000-0000-4000-8000-0000000000b1',
   now() - interval '1 day', now() - interval '1 day');
insert into public.messages (message_id, conversation_id, user_id, role, content) values
  ('17000000-0000-4000-8000-0000000000d2', '17000000-0000-4000-8000-0000000000d1', '17000000-0000-4000-8000-000000000001', 'user', 'Hello');
insert into public.communities (community_id, user_id, name) values
  ('17000000-0000-4000-8000-0000000000e1', '17000000-0000-4000-8000-000000000001', 'Community');
insert into public.concepts (concept_id, user_id, name, type) values
  ('17000000-0000-4000-8000-0000000000e2', '17000000-0000-4000-8000-000000000001', 'Concept', 'theme');
insert into public.memories (memory_id, user_id, app_id, memory_type, title, content, created_at) values
  ('17000000-0000-4000-8000-0000000000f1', '17000000-0000-4000-8000-000000000001', null, 'memory', 'Title', 'Content', now() - interval '1 day'),
  ('17000000-0000-4000-8000-0000000000f2', '17000000-0000-4000-8000-000000000001', '17000000-0000-4000-8000-0000000000b1', 'insight', null, 'Content', now() - interval '1 day');
insert into public.memory_history (memory_id, user_id, operation, old_values) values
  ('17000000-0000-4000-8000-0000000000f1', '17000000-0000-4000-8000-000000000001', 'UPDATE', '{}');
insert into public.media_items (media_id, user_id, type, storage_url) values
  ('17000000-0000-4000-8000-0000000000f3', '17000000-0000-4000-8000-000000000001', 'image', 's3://media/a.jpg');
insert into public.annotations (annotation_id, user_id, target_id, target_type, annotation_type, text_content) values
  ('17000000-0000-4000-8000-0000000000f4', '17000000-0000-4000-8000-000000000001', gen_random_uuid(), 'MemoryUnit', 'note', 'Note');
insert into public.reflections (reflection_id, user_id, content, reflection_type) values
  ('17000000-0000-4000-8000-0000000000f5', '17000000-0000-4000-8000-000000000001', 'Content', 'daily');

create temporary table cases (constraint_name text primary key, statement text not null);
insert into cases values
  -- personality_schemas
  ('personality_schemas_schema_key_format', $$update public.personality_schemas set schema_key = 'Bad Key' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_version_semver', $$update public.personality_schemas set version = '1.0' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_layer_valid', $$update public.personality_schemas set layer = 'middle' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_overlay_has_parent', $$update public.personality_schemas set layer = 'overlay' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_not_own_parent', $$update public.personality_schemas set parent_schema_id = personality_schema_id where personality_schema_id = '17000000-0000-4000-8000-0000000000a2'$$),
  ('personality_schemas_schema_object', $$update public.personality_schemas set schema = '[]' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_status_valid', $$update public.personality_schemas set status = 'live' where personality_schema_id = '17000000-0000-4000-8000-0000000000a2'$$),
  ('personality_schemas_rollout_percentage_range', $$update public.personality_schemas set rollout_percentage = 101 where personality_schema_id = '17000000-0000-4000-8000-0000000000a2'$$),
  ('personality_schemas_ab_test_group_length', $$update public.personality_schemas set ab_test_group = '' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_created_by_not_blank', $$update public.personality_schemas set created_by = ' ' where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_active_has_activated_at', $$update public.personality_schemas set activated_at = null where personality_schema_id = '17000000-0000-4000-8000-0000000000a1'$$),
  ('personality_schemas_archived_has_archived_at', $$update public.personality_schemas set archived_at = null where personality_schema_id = '17000000-0000-4000-8000-0000000000a3'$$),
  -- apps
  ('apps_slug_format', $$update public.apps set slug = 'Bad-Slug' where app_id = '17000000-0000-4000-8000-0000000000b1'$$),
  ('apps_display_name_not_blank', $$update public.apps set display_name = ' ' where app_id = '17000000-0000-4000-8000-0000000000b1'$$),
  ('apps_domain_valid', $$update public.apps set domain = 'sports' where app_id = '17000000-0000-4000-8000-0000000000b1'$$),
  ('apps_icon_url_https', $$update public.apps set icon_url = 'http://example.com/i.png' where app_id = '17000000-0000-4000-8000-0000000000b1'$$),
  ('apps_app_store_url_https', $$update public.apps set app_store_url = 'http://example.com' where app_id = '17000000-0000-4000-8000-0000000000b1'$$),
  -- knowledge_bases, knowledge_entries
  ('knowledge_bases_slug_format', $$update public.knowledge_bases set slug = 'Bad-Slug' where knowledge_base_id = '17000000-0000-4000-8000-0000000000c1'$$),
  ('knowledge_bases_title_not_blank', $$update public.knowledge_bases set title = '' where knowledge_base_id = '17000000-0000-4000-8000-0000000000c1'$$),
  ('knowledge_bases_owner_org_not_blank', $$update public.knowledge_bases set owner_org = ' ' where knowledge_base_id = '17000000-0000-4000-8000-0000000000c1'$$),
  ('knowledge_bases_version_semver', $$update public.knowledge_bases set version = '01.0.0' where knowledge_base_id = '17000000-0000-4000-8000-0000000000c1'$$),
  ('knowledge_bases_not_own_parent', $$update public.knowledge_bases set parent_knowledge_base_id = knowledge_base_id where knowledge_base_id = '17000000-0000-4000-8000-0000000000c1'$$),
  ('knowledge_bases_entry_count_nonnegative', $$update public.knowledge_bases set entry_count = -1 where knowledge_base_id = '17000000-0000-4000-8000-0000000000c1'$$),
  ('knowledge_entries_title_not_blank', $$update public.knowledge_entries set title = ' ' where knowledge_entry_id = '17000000-0000-4000-8000-0000000000c2'$$),
  ('knowledge_entries_content_not_blank', $$update public.knowledge_entries set content = '' where knowledge_entry_id = '17000000-0000-4000-8000-0000000000c2'$$),
  ('knowledge_entries_category_not_blank', $$update public.knowledge_entries set category = ' ' where knowledge_entry_id = '17000000-0000-4000-8000-0000000000c2'$$),
  ('knowledge_entries_section_number_nonnegative', $$update public.knowledge_entries set section_number = -1 where knowledge_entry_id = '17000000-0000-4000-8000-0000000000c2'$$),
  ('knowledge_entries_metadata_object', $$update public.knowledge_entries set metadata = '[]' where knowledge_entry_id = '17000000-0000-4000-8000-0000000000c2'$$),
  ('knowledge_entries_access_count_nonnegative', $$update public.knowledge_entries set access_count = -1 where knowledge_entry_id = '17000000-0000-4000-8000-0000000000c2'$$),
  ('knowledge_entries_version_positive', $$insert into public.knowledge_entries (knowledge_base_id, title, content, version) values ('17000000-0000-4000-8000-0000000000c1', 't', 'c', 0)$$),
  -- user_progress
  ('user_progress_progress_data_object', $$update public.user_progress set progress_data = '[]' where user_progress_id = '17000000-0000-4000-8000-0000000000c3'$$),
  ('user_progress_milestones_distinct', $$update public.user_progress set milestones_reached = '{a,a}' where user_progress_id = '17000000-0000-4000-8000-0000000000c3'$$),
  ('user_progress_current_focus_area_not_blank', $$update public.user_progress set current_focus_area = ' ' where user_progress_id = '17000000-0000-4000-8000-0000000000c3'$$),
  ('user_progress_total_conversations_nonnegative', $$update public.user_progress set total_conversations = -1 where user_progress_id = '17000000-0000-4000-8000-0000000000c3'$$),
  ('user_progress_total_messages_nonnegative', $$update public.user_progress set total_messages = -1 where user_progress_id = '17000000-0000-4000-8000-0000000000c3'$$),
  -- conversations
  ('conversations_session_id_uuid_v4', $$update public.conversations set session_id = '17000000-0000-1000-8000-000000000000' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_title_length', $$update public.conversations set title = '' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_intimacy_code_reference_length', $$update public.conversations set intimacy_code_reference = '  ' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_status_valid', $$update public.conversations set status = 'paused' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_closed_has_closed_at', $$update public.conversations set status = 'closed' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_message_count_nonnegative', $$update public.conversations set message_count = -1 where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_metadata_object', $$update public.conversations set metadata = '[]' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_closed_after_created', $$update public.conversations set closed_at = created_at - interval '1 day' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_ended_after_started', $$update public.conversations set ended_at = started_at - interval '1 minute' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  ('conversations_last_message_after_created', $$update public.conversations set last_message_at = created_at - interval '1 day' where conversation_id = '17000000-0000-4000-8000-0000000000d1'$$),
  -- messages
  ('messages_role_valid', $$update public.messages set role = 'coach' where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_content_not_blank', $$update public.messages set content = ' ' where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_model_not_blank', $$update public.messages set model = '' where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_confidence_score_range', $$update public.messages set confidence_score = 1.01 where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_generation_time_ms_nonnegative', $$update public.messages set generation_time_ms = -1 where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_tokens_used_nonnegative', $$update public.messages set tokens_used = -1 where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_assistant_tokens_positive', $$update public.messages set role = 'assistant', tokens_used = 0 where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_llm_call_metadata_object', $$update public.messages set llm_call_metadata = '[]' where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_referenced_entities_objects', $$update public.messages set referenced_entities = '[1]' where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  ('messages_metadata_object', $$update public.messages set metadata = '[]' where message_id = '17000000-0000-4000-8000-0000000000d2'$$),
  -- communities, concepts
  ('communities_name_not_blank', $$update public.communities set name = ' ' where community_id = '17000000-0000-4000-8000-0000000000e1'$$),
  ('concepts_name_length', $$update public.concepts set name = ' ' where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_type_length', $$update public.concepts set type = '' where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_status_valid', $$update public.concepts set status = 'deleted' where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_merged_has_target', $$update public.concepts set status = 'merged' where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_not_merged_into_itself', $$update public.concepts set status = 'merged', merged_into_concept_id = concept_id where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_salience_range', $$update public.concepts set salience = 1.5 where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_source_length', $$update public.concepts set source = '' where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  ('concepts_attributes_object', $$update public.concepts set attributes = '[]' where concept_id = '17000000-0000-4000-8000-0000000000e2'$$),
  -- memories, memory_history
  ('memories_memory_type_length', $$update public.memories set memory_type = '' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_coaching_memory_type_valid', $$update public.memories set memory_type = 'gossip' where memory_id = '17000000-0000-4000-8000-0000000000f2'$$),
  ('memories_title_length', $$update public.memories set title = ' ' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_title_required_outside_coaching', $$update public.memories set title = null where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_content_not_blank', $$update public.memories set content = '' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_importance_range', $$update public.memories set importance = 1.5 where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_decay_rate_range', $$update public.memories set decay_rate = -0.01 where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_sentiment_score_range', $$update public.memories set sentiment_score = -1.5 where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_location_object', $$update public.memories set location = '[]' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_people_objects', $$update public.memories set people = '["Ann"]' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_emotions_objects', $$update public.memories set emotions = '{}' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_attributes_object', $$update public.memories set attributes = '[]' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_access_count_nonnegative', $$update public.memories set access_count = -1 where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memories_expires_after_created', $$update public.memories set expires_at = created_at where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memory_history_operation_valid', $$update public.memory_history set operation = 'INSERT' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  ('memory_history_old_values_object', $$update public.memory_history set old_values = '[]' where memory_id = '17000000-0000-4000-8000-0000000000f1'$$),
  -- media_items
  ('media_items_type_valid', $$update public.media_items set type = 'hologram' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_storage_url_not_blank', $$update public.media_items set storage_url = ' ' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_filename_length', $$update public.media_items set filename = '' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_mime_type_format', $$update public.media_items set mime_type = 'jpeg' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_size_bytes_nonnegative', $$update public.media_items set size_bytes = -1 where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_hash_not_blank', $$update public.media_items set hash = ' ' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_processing_status_valid', $$update public.media_items set processing_status = 'lost' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_metadata_object', $$update public.media_items set metadata = '[]' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_declared_size_positive', $$update public.media_items set declared_size_bytes = 0 where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_declared_sha256_format', $$update public.media_items set declared_sha256 = 'ABC' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_detected_mime_type_format', $$update public.media_items set detected_mime_type = 'jpeg' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_failure_reason_iff_failed', $$update public.media_items set processing_status = 'failed' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  ('media_items_duplicate_of_iff_duplicate', $$update public.media_items set processing_status = 'duplicate' where media_id = '17000000-0000-4000-8000-0000000000f3'$$),
  -- annotations
  ('annotations_target_type_length', $$update public.annotations set target_type = ' ' where annotation_id = '17000000-0000-4000-8000-0000000000f4'$$),
  ('annotations_annotation_type_length', $$update public.annotations set annotation_type = '' where annotation_id = '17000000-0000-4000-8000-0000000000f4'$$),
  ('annotations_has_content', $$update public.annotations set text_content = ' ' where annotation_id = '17000000-0000-4000-8000-0000000000f4'$$),
  ('annotations_media_url_length', $$update public.annotations set media_url = repeat('x', 1025) where annotation_id = '17000000-0000-4000-8000-0000000000f4'$$),
  ('annotations_source_length', $$update public.annotations set source = '' where annotation_id = '17000000-0000-4000-8000-0000000000f4'$$),
  ('annotations_metadata_object', $$update public.annotations set metadata = '[]' where annotation_id = '17000000-0000-4000-8000-0000000000f4'$$),
  -- reflections
  ('reflections_title_length', $$update public.reflections set title = '' where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$),
  ('reflections_content_not_blank', $$update public.reflections set content = ' ' where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$),
  ('reflections_reflection_type_length', $$update public.reflections set reflection_type = '' where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$),
  ('reflections_related_entities_objects', $$update public.reflections set related_entities = '[1]' where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$),
  ('reflections_sentiment_range', $$update public.reflections set sentiment = 1.5 where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$),
  ('reflections_insights_objects', $$update public.reflections set insights = '"x"' where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$),
  ('reflections_metadata_object', $$update public.reflections set metadata = '[]' where reflection_id = '17000000-0000-4000-8000-0000000000f5'$$);

select is(pg_temp.violated(statement), constraint_name, format('%s rejects a bad row', constraint_name))
from cases
order by constraint_name;

select is(
  array(
    select c.conname::text
    from pg_constraint c
    where c.contype = 'c'
      and c.conrelid in (
        'public.personality_schemas'::regclass, 'public.apps'::regclass, 'public.knowledge_bases'::regclass,
        'public.app_knowledge_bases'::regclass, 'public.knowledge_entries'::regclass, 'public.user_progress'::regclass,
        'public.conversations'::regclass, 'public.messages'::regclass, 'public.communities'::regclass,
        'public.concepts'::regclass, 'public.memories'::regclass, 'public.memory_history'::regclass,
        'public.media_items'::regclass, 'public.annotations'::regclass, 'public.reflections'::regclass)
    except
    select constraint_name from cases
  ),
  '{}'::text[],
  'every check constraint on part A''s tables has a case above');

select * from finish();
rollback;
