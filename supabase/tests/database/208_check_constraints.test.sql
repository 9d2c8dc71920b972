-- Every check constraint on part B's tables rejects a bad row, and names itself when it does.
-- Each case changes one column of a valid row; pg_temp.violated() reports which check fired.
-- The last assertion fails when a part-B check constraint has no case here.
begin;
create extension if not exists pgtap with schema extensions;
select plan(89);

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

-- one valid row per table (ids 208...)
insert into auth.users (id, email) values ('20800000-0000-0000-0000-0000000000a1', 'checks@example.com');
insert into public.graph_connection_stats (user_id, entity_type, entity_id)
  values ('20800000-0000-0000-0000-0000000000a1', 'concept', '20800000-0000-0000-0000-0000000000e1');
insert into public.user_graph_projections (projection_id, user_id, projection_data)
  values ('20800000-0000-0000-0000-0000000000f1', '20800000-0000-0000-0000-0000000000a1', '{}');
insert into public.entity_vectors (entity_vector_id, user_id, entity_type, entity_id, vector_id, embedding_model_version)
  values ('20800000-0000-0000-0000-0000000000b1', '20800000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'v1', 'm1');
insert into public.cards (card_id, user_id, card_type, source_entity_id, source_entity_type)
  values ('20800000-0000-0000-0000-0000000000c1', '20800000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'concept');
insert into public.challenge_templates (challenge_template_id, name)
  values ('20800000-0000-0000-0000-0000000000d1', 'template');
insert into public.user_challenges (user_challenge_id, user_id, challenge_template_id)
  values ('20800000-0000-0000-0000-0000000000d2', '20800000-0000-0000-0000-0000000000a1', '20800000-0000-0000-0000-0000000000d1');
insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title)
  values ('20800000-0000-0000-0000-0000000000a2', '20800000-0000-0000-0000-0000000000a1', 'trophy', 'title');
insert into public.proactive_prompts (prompt_id, user_id, prompt_text, source_agent)
  values ('20800000-0000-0000-0000-0000000000a3', '20800000-0000-0000-0000-0000000000a1', 'prompt', 'agent');
insert into public.orb_states (state_id, user_id, visual_state, emotional_tone, energy_level)
  values ('20800000-0000-0000-0000-0000000000a4', '20800000-0000-0000-0000-0000000000a1', 'idle', 'calm', 0.5);
insert into public.behaviour_events (event_id, user_id, event_type)
  values ('20800000-0000-0000-0000-0000000000a5', '20800000-0000-0000-0000-0000000000a1', 'view');
insert into public.user_personas (user_id) values ('20800000-0000-0000-0000-0000000000a1');
insert into public.learning_profiles (learning_profile_id, user_id, skill_area)
  values ('20800000-0000-0000-0000-0000000000a6', '20800000-0000-0000-0000-0000000000a1', 'Python');
insert into public.tag_clusters (tag_cluster_id, user_id) values ('20800000-0000-0000-0000-0000000000a7', '20800000-0000-0000-0000-0000000000a1');
insert into public.suggestions (suggestion_id, user_id, suggestion_type)
  values ('20800000-0000-0000-0000-0000000000a8', '20800000-0000-0000-0000-0000000000a1', 'project_idea');
insert into private.outbox (topic, event_type, schema_name, table_name, payload)
  values ('checks', 'INSERT', 'public', 'cards',
          '{"type": "INSERT", "table": "cards", "schema": "public", "record": {}, "old_record": null}');
insert into private.idempotency_keys (user_id, idempotency_key, request_hash)
  values ('20800000-0000-0000-0000-0000000000a1', 'key', 'hash');
insert into private.job_runs (job_name) values ('checks');

create temporary table cases (constraint_name text primary key, statement text not null);
insert into cases values
  -- growth_events (append-only: bad rows are inserts)
  ('growth_events_entity_type_valid', $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values ('20800000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'planet', 'self_know', 1, 's')$$),
  ('growth_events_dim_key_valid', $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values ('20800000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_feel', 1, 's')$$),
  ('growth_events_delta_finite', $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values ('20800000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 'Infinity', 's')$$),
  ('growth_events_source_length', $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values ('20800000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 1, repeat('s', 65))$$),
  ('growth_events_details_object', $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source, details) values ('20800000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 1, 's', '1')$$),
  -- graph_connection_stats
  ('graph_connection_stats_entity_type_format', $$update public.graph_connection_stats set entity_type = 'Concept' where entity_id = '20800000-0000-0000-0000-0000000000e1'$$),
  ('graph_connection_stats_connection_count_nonnegative', $$update public.graph_connection_stats set connection_count = -1 where entity_id = '20800000-0000-0000-0000-0000000000e1'$$),
  ('graph_connection_stats_connections_by_type_object', $$update public.graph_connection_stats set connections_by_type = '[]' where entity_id = '20800000-0000-0000-0000-0000000000e1'$$),
  -- user_graph_projections
  ('user_graph_projections_status_format', $$update public.user_graph_projections set status = 'Done!' where projection_id = '20800000-0000-0000-0000-0000000000f1'$$),
  ('user_graph_projections_projection_data_object', $$update public.user_graph_projections set projection_data = '[]' where projection_id = '20800000-0000-0000-0000-0000000000f1'$$),
  ('user_graph_projections_metadata_object', $$update public.user_graph_projections set metadata = '"m"' where projection_id = '20800000-0000-0000-0000-0000000000f1'$$),
  -- entity_vectors
  ('entity_vectors_entity_type_format', $$update public.entity_vectors set entity_type = '' where entity_vector_id = '20800000-0000-0000-0000-0000000000b1'$$),
  ('entity_vectors_vector_store_format', $$update public.entity_vectors set vector_store = 'Weaviate' where entity_vector_id = '20800000-0000-0000-0000-0000000000b1'$$),
  ('entity_vectors_vector_id_length', $$update public.entity_vectors set vector_id = '' where entity_vector_id = '20800000-0000-0000-0000-0000000000b1'$$),
  ('entity_vectors_model_length', $$update public.entity_vectors set embedding_model_version = '' where entity_vector_id = '20800000-0000-0000-0000-0000000000b1'$$),
  -- cards
  ('cards_card_type_format', $$update public.cards set card_type = 'Card Type' where card_id = '20800000-0000-0000-0000-0000000000c1'$$),
  ('cards_source_entity_type_valid', $$update public.cards set source_entity_type = 'Concept' where card_id = '20800000-0000-0000-0000-0000000000c1'$$),
  ('cards_status_valid', $$update public.cards set status = 'deleted' where card_id = '20800000-0000-0000-0000-0000000000c1'$$),
  ('cards_display_data_object', $$update public.cards set display_data = '[]' where card_id = '20800000-0000-0000-0000-0000000000c1'$$),
  -- challenge_templates
  ('challenge_templates_name_length', $$update public.challenge_templates set name = '' where challenge_template_id = '20800000-0000-0000-0000-0000000000d1'$$),
  ('challenge_templates_dim_keys_valid', $$update public.challenge_templates set dim_keys = '{self_feel}' where challenge_template_id = '20800000-0000-0000-0000-0000000000d1'$$),
  ('challenge_templates_difficulty_valid', $$update public.challenge_templates set difficulty = 'epic' where challenge_template_id = '20800000-0000-0000-0000-0000000000d1'$$),
  ('challenge_templates_payload_object', $$update public.challenge_templates set payload = '[]' where challenge_template_id = '20800000-0000-0000-0000-0000000000d1'$$),
  ('challenge_templates_version_positive', $$update public.challenge_templates set version = 0 where challenge_template_id = '20800000-0000-0000-0000-0000000000d1'$$),
  -- user_challenges
  ('user_challenges_status_valid', $$update public.user_challenges set status = 'paused' where user_challenge_id = '20800000-0000-0000-0000-0000000000d2'$$),
  ('user_challenges_due_after_start', $$update public.user_challenges set due_at = started_at where user_challenge_id = '20800000-0000-0000-0000-0000000000d2'$$),
  ('user_challenges_completed_after_start', $$update public.user_challenges set status = 'completed', completed_at = started_at - interval '1 day' where user_challenge_id = '20800000-0000-0000-0000-0000000000d2'$$),
  ('user_challenges_completed_at_iff_completed', $$update public.user_challenges set completed_at = started_at where user_challenge_id = '20800000-0000-0000-0000-0000000000d2'$$),
  ('user_challenges_progress_object', $$update public.user_challenges set progress = '[]' where user_challenge_id = '20800000-0000-0000-0000-0000000000d2'$$),
  -- derived_artifacts
  ('derived_artifacts_artifact_type_valid', $$update public.derived_artifacts set artifact_type = 'badge' where artifact_id = '20800000-0000-0000-0000-0000000000a2'$$),
  ('derived_artifacts_title_length', $$update public.derived_artifacts set title = repeat('t', 256) where artifact_id = '20800000-0000-0000-0000-0000000000a2'$$),
  ('derived_artifacts_content_data_object', $$update public.derived_artifacts set content_data = '[]' where artifact_id = '20800000-0000-0000-0000-0000000000a2'$$),
  ('derived_artifacts_source_entities_objects', $$update public.derived_artifacts set source_entities = '[1]' where artifact_id = '20800000-0000-0000-0000-0000000000a2'$$),
  ('derived_artifacts_thumbnail_url_length', $$update public.derived_artifacts set thumbnail_url = repeat('u', 1025) where artifact_id = '20800000-0000-0000-0000-0000000000a2'$$),
  ('derived_artifacts_attributes_object', $$update public.derived_artifacts set attributes = '[]' where artifact_id = '20800000-0000-0000-0000-0000000000a2'$$),
  -- proactive_prompts
  ('proactive_prompts_prompt_text_not_blank', $$update public.proactive_prompts set prompt_text = ' ' where prompt_id = '20800000-0000-0000-0000-0000000000a3'$$),
  ('proactive_prompts_source_agent_length', $$update public.proactive_prompts set source_agent = '' where prompt_id = '20800000-0000-0000-0000-0000000000a3'$$),
  ('proactive_prompts_status_format', $$update public.proactive_prompts set status = 'Pending' where prompt_id = '20800000-0000-0000-0000-0000000000a3'$$),
  ('proactive_prompts_metadata_object', $$update public.proactive_prompts set metadata = '[]' where prompt_id = '20800000-0000-0000-0000-0000000000a3'$$),
  -- orb_states
  ('orb_states_visual_state_length', $$update public.orb_states set visual_state = '' where state_id = '20800000-0000-0000-0000-0000000000a4'$$),
  ('orb_states_emotional_tone_length', $$update public.orb_states set emotional_tone = repeat('e', 65) where state_id = '20800000-0000-0000-0000-0000000000a4'$$),
  ('orb_states_energy_level_range', $$update public.orb_states set energy_level = 1.01 where state_id = '20800000-0000-0000-0000-0000000000a4'$$),
  ('orb_states_position_object', $$update public.orb_states set position = '[]' where state_id = '20800000-0000-0000-0000-0000000000a4'$$),
  ('orb_states_effects_objects', $$update public.orb_states set effects = '{}' where state_id = '20800000-0000-0000-0000-0000000000a4'$$),
  ('orb_states_context_object', $$update public.orb_states set context = '[]' where state_id = '20800000-0000-0000-0000-0000000000a4'$$),
  -- behaviour_events
  ('behaviour_events_event_type_length', $$update public.behaviour_events set event_type = '' where event_id = '20800000-0000-0000-0000-0000000000a5'$$),
  ('behaviour_events_target_entity_type_length', $$update public.behaviour_events set target_entity_type = '' where event_id = '20800000-0000-0000-0000-0000000000a5'$$),
  ('behaviour_events_duration_nonnegative', $$update public.behaviour_events set duration_seconds = -1 where event_id = '20800000-0000-0000-0000-0000000000a5'$$),
  ('behaviour_events_context_object', $$update public.behaviour_events set context = '[]' where event_id = '20800000-0000-0000-0000-0000000000a5'$$),
  ('behaviour_events_metadata_object', $$update public.behaviour_events set metadata = '[]' where event_id = '20800000-0000-0000-0000-0000000000a5'$$),
  -- user_personas
  ('user_personas_technical_profile_object', $$update public.user_personas set technical_profile = '[]' where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  ('user_personas_lifestyle_profile_object', $$update public.user_personas set lifestyle_profile = '[]' where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  ('user_personas_learning_style_object', $$update public.user_personas set learning_style = '[]' where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  ('user_personas_life_phase_valid', $$update public.user_personas set life_phase = 'student' where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  ('user_personas_phase_confidence_range', $$update public.user_personas set phase_confidence = -0.01 where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  ('user_personas_interests_evolution_object', $$update public.user_personas set interests_evolution = '[]' where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  ('user_personas_cross_domain_insights_object', $$update public.user_personas set cross_domain_insights = '[]' where user_id = '20800000-0000-0000-0000-0000000000a1'$$),
  -- learning_profiles
  ('learning_profiles_skill_area_length', $$update public.learning_profiles set skill_area = repeat('s', 101) where learning_profile_id = '20800000-0000-0000-0000-0000000000a6'$$),
  ('learning_profiles_current_level_valid', $$update public.learning_profiles set current_level = 'guru' where learning_profile_id = '20800000-0000-0000-0000-0000000000a6'$$),
  ('learning_profiles_progression_data_object', $$update public.learning_profiles set progression_data = '[]' where learning_profile_id = '20800000-0000-0000-0000-0000000000a6'$$),
  ('learning_profiles_learning_velocity_range', $$update public.learning_profiles set learning_velocity = 1.5 where learning_profile_id = '20800000-0000-0000-0000-0000000000a6'$$),
  -- tag_clusters
  ('tag_clusters_cluster_name_length', $$update public.tag_clusters set cluster_name = '' where tag_cluster_id = '20800000-0000-0000-0000-0000000000a7'$$),
  ('tag_clusters_tags_array', $$update public.tag_clusters set tags = '{}' where tag_cluster_id = '20800000-0000-0000-0000-0000000000a7'$$),
  ('tag_clusters_cluster_center_vector', $$update public.tag_clusters set cluster_center = '{0.1,NULL}' where tag_cluster_id = '20800000-0000-0000-0000-0000000000a7'$$),
  ('tag_clusters_cohesion_score_range', $$update public.tag_clusters set cohesion_score = 1.001 where tag_cluster_id = '20800000-0000-0000-0000-0000000000a7'$$),
  ('tag_clusters_cluster_size_nonnegative', $$update public.tag_clusters set cluster_size = -1 where tag_cluster_id = '20800000-0000-0000-0000-0000000000a7'$$),
  ('tag_clusters_evolution_data_object', $$update public.tag_clusters set evolution_data = '[]' where tag_cluster_id = '20800000-0000-0000-0000-0000000000a7'$$),
  -- suggestions
  ('suggestions_suggestion_type_length', $$update public.suggestions set suggestion_type = repeat('t', 51) where suggestion_id = '20800000-0000-0000-0000-0000000000a8'$$),
  ('suggestions_title_length', $$update public.suggestions set title = repeat('t', 201) where suggestion_id = '20800000-0000-0000-0000-0000000000a8'$$),
  ('suggestions_metadata_object', $$update public.suggestions set metadata = '[]' where suggestion_id = '20800000-0000-0000-0000-0000000000a8'$$),
  ('suggestions_priority_score_range', $$update public.suggestions set priority_score = -0.5 where suggestion_id = '20800000-0000-0000-0000-0000000000a8'$$),
  ('suggestions_expires_after_creation', $$update public.suggestions set expires_at = created_at where suggestion_id = '20800000-0000-0000-0000-0000000000a8'$$),
  -- private.outbox
  ('outbox_topic_length', $$update private.outbox set topic = '' where topic = 'checks'$$),
  ('outbox_event_type_valid', $$update private.outbox set event_type = 'TRUNCATE', payload = payload || '{"type": "TRUNCATE"}' where topic = 'checks'$$),
  ('outbox_payload_webhook_shape', $$update private.outbox set payload = payload - 'old_record' where topic = 'checks'$$),
  ('outbox_status_valid', $$update private.outbox set status = 'sent' where topic = 'checks'$$),
  ('outbox_attempts_nonnegative', $$update private.outbox set attempts = -1 where topic = 'checks'$$),
  ('outbox_delivered_at_iff_delivered', $$update private.outbox set delivered_at = now() where topic = 'checks'$$),
  -- private.idempotency_keys
  ('idempotency_keys_key_length', $$update private.idempotency_keys set idempotency_key = '' where idempotency_key = 'key'$$),
  ('idempotency_keys_request_hash_length', $$update private.idempotency_keys set request_hash = repeat('h', 129) where idempotency_key = 'key'$$),
  ('idempotency_keys_response_status_range', $$update private.idempotency_keys set response_status = 600 where idempotency_key = 'key'$$),
  ('idempotency_keys_expires_after_creation', $$update private.idempotency_keys set expires_at = created_at where idempotency_key = 'key'$$),
  -- private.job_runs
  ('job_runs_job_name_length', $$update private.job_runs set job_name = '' where job_name = 'checks'$$),
  ('job_runs_status_valid', $$update private.job_runs set status = 'queued', finished_at = started_at where job_name = 'checks'$$),
  ('job_runs_finished_after_start', $$update private.job_runs set status = 'succeeded', finished_at = started_at - interval '1 second' where job_name = 'checks'$$),
  ('job_runs_finished_at_iff_done', $$update private.job_runs set finished_at = started_at where job_name = 'checks'$$),
  ('job_runs_error_iff_failed', $$update private.job_runs set status = 'failed', finished_at = started_at where job_name = 'checks'$$),
  ('job_runs_counts_object', $$update private.job_runs set counts = '[]' where job_name = 'checks'$$);

select is(pg_temp.violated(statement), constraint_name, format('%s rejects a bad row', constraint_name))
from cases
order by constraint_name;

select is(
  array(
    select c.conname::text
    from pg_constraint c
    where c.contype = 'c'
      and c.conrelid in (
        'public.growth_events'::regclass, 'public.graph_connection_stats'::regclass,
        'public.user_graph_projections'::regclass, 'public.entity_vectors'::regclass,
        'public.cards'::regclass, 'public.challenge_templates'::regclass,
        'public.user_challenges'::regclass, 'public.derived_artifacts'::regclass,
        'public.proactive_prompts'::regclass, 'public.orb_states'::regclass,
        'public.behaviour_events'::regclass, 'public.user_personas'::regclass,
        'public.learning_profiles'::regclass, 'public.tag_clusters'::regclass,
        'public.suggestions'::regclass, 'private.outbox'::regclass,
        'private.idempotency_keys'::regclass, 'private.job_runs'::regclass)
    except
    select constraint_name from cases
  ),
  '{}'::text[],
  'every check constraint on part B''s tables has a case above');

select * from finish();
rollback;
