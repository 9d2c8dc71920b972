-- Dreamscape tables: personas, learning profiles, tag clusters, suggestions; their checks, the
-- server-only analysis columns, and the seed's analytics as views and functions.
begin;
create extension if not exists pgtap with schema extensions;
select plan(22);

insert into auth.users (id, email) values
  ('20500000-0000-0000-0000-0000000000a1', 'ds-a@example.com'),
  ('20500000-0000-0000-0000-0000000000b1', 'ds-b@example.com');

select throws_ok(
  $$insert into public.user_personas (user_id, life_phase) values ('20500000-0000-0000-0000-0000000000a1', 'retired')$$,
  '23514', null, 'life_phase outside early_career/mid_career/experienced is rejected');
select throws_ok(
  $$insert into public.user_personas (user_id, phase_confidence) values ('20500000-0000-0000-0000-0000000000a1', 1.5)$$,
  '23514', null, 'phase_confidence above 1 is rejected');
select throws_ok(
  $$insert into public.learning_profiles (user_id, skill_area, current_level) values ('20500000-0000-0000-0000-0000000000a1', 'Python', 'guru')$$,
  '23514', null, 'current_level outside beginner..expert is rejected');
select throws_ok(
  $$insert into public.learning_profiles (user_id, skill_area, learning_velocity) values ('20500000-0000-0000-0000-0000000000a1', 'Python', -0.1)$$,
  '23514', null, 'a negative learning_velocity is rejected');
select throws_ok(
  $$insert into public.tag_clusters (user_id, cohesion_score) values ('20500000-0000-0000-0000-0000000000a1', 2)$$,
  '23514', null, 'cohesion_score above 1 is rejected');
select throws_ok(
  $$insert into public.tag_clusters (user_id, cluster_size) values ('20500000-0000-0000-0000-0000000000a1', -3)$$,
  '23514', null, 'a negative cluster_size is rejected');
select throws_ok(
  $$insert into public.tag_clusters (user_id, cluster_center) values ('20500000-0000-0000-0000-0000000000a1', '{{1,2},{3,4}}')$$,
  '23514', null, 'cluster_center must be a one-dimensional vector');
select throws_ok(
  $$insert into public.suggestions (user_id, suggestion_type, priority_score) values ('20500000-0000-0000-0000-0000000000a1', 'project_idea', 1.01)$$,
  '23514', null, 'priority_score above 1 is rejected');
select throws_ok(
  $$insert into public.suggestions (user_id, suggestion_type, created_at, expires_at)
    values ('20500000-0000-0000-0000-0000000000a1', 'project_idea', now(), now() - interval '1 day')$$,
  '23514', null, 'a suggestion cannot expire before it was made');

insert into public.user_personas (user_id, life_phase, phase_confidence, technical_profile)
values ('20500000-0000-0000-0000-0000000000a1', 'mid_career', 0.8, '{"primary_languages": ["Python"]}');
insert into public.learning_profiles (user_id, skill_area, learning_velocity)
values ('20500000-0000-0000-0000-0000000000a1', 'Python', 0.6);
insert into public.tag_clusters (tag_cluster_id, user_id, cluster_name, tags, cluster_center, cohesion_score, cluster_size)
values ('20500000-0000-0000-0000-00000000c001', '20500000-0000-0000-0000-0000000000a1', 'ml', '[{"tag": "python"}]', '{0.1,0.2}', 0.7, 4);
insert into public.suggestions (suggestion_id, user_id, suggestion_type, title, priority_score, expires_at) values
  ('20500000-0000-0000-0000-00000000a001', '20500000-0000-0000-0000-0000000000a1', 'project_idea', 'high', 0.9, null),
  ('20500000-0000-0000-0000-00000000a002', '20500000-0000-0000-0000-0000000000a1', 'learning_path', 'low', 0.2, now() + interval '1 day'),
  ('20500000-0000-0000-0000-00000000a003', '20500000-0000-0000-0000-0000000000a1', 'learning_path', 'expired', 0.95, now() + interval '1 second'),
  ('20500000-0000-0000-0000-00000000b001', '20500000-0000-0000-0000-0000000000b1', 'project_idea', 'b''s', 1, null);
update public.suggestions set created_at = now() - interval '2 days', expires_at = now() - interval '1 day'
where suggestion_id = '20500000-0000-0000-0000-00000000a003';
insert into public.behaviour_events (user_id, event_type, target_entity_id, duration_seconds) values
  ('20500000-0000-0000-0000-0000000000a1', 'view', '20500000-0000-0000-0000-00000000f001', 100),
  ('20500000-0000-0000-0000-0000000000a1', 'view', '20500000-0000-0000-0000-00000000f002', 200),
  ('20500000-0000-0000-0000-0000000000a1', 'search', null, null),
  ('20500000-0000-0000-0000-0000000000b1', 'view', '20500000-0000-0000-0000-00000000f003', 50);

select ok(private.anonymise_user_persona('20500000-0000-0000-0000-0000000000a1'), 'anonymising finds the persona');
select is((select array[technical_profile::text, life_phase] from public.user_personas
           where user_id = '20500000-0000-0000-0000-0000000000a1'),
  array['{}', 'mid_career'], 'anonymising empties personal JSON and keeps the life phase');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20500000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select throws_ok($$update public.user_personas set life_phase = 'experienced'$$, '42501', null,
  'persona results are server-only');
select throws_ok($$update public.learning_profiles set learning_velocity = 1$$, '42501', null,
  'learning velocity is server-only');
select throws_ok($$update public.tag_clusters set cohesion_score = 1, cluster_size = 99$$, '42501', null,
  'cluster statistics are server-only');
select throws_ok($$update public.suggestions set priority_score = 1$$, '42501', null,
  'suggestion priority is server-only');
select throws_ok(
  $$insert into public.suggestions (user_id, suggestion_type) values ('20500000-0000-0000-0000-0000000000a1', 'x')$$,
  '42501', null, 'clients do not create suggestions');
select lives_ok(
  $$update public.suggestions set is_dismissed = true where suggestion_id = '20500000-0000-0000-0000-00000000a002'$$,
  'the owner dismisses a suggestion');
select is_empty(
  $$update public.suggestions set is_dismissed = true where suggestion_id = '20500000-0000-0000-0000-00000000b001' returning 1$$,
  'another user''s suggestion cannot be dismissed');
select results_eq(
  $$select suggestion_id from api.active_suggestions()$$,
  $$values ('20500000-0000-0000-0000-00000000a001'::uuid)$$,
  'active suggestions: undismissed, unexpired, the caller''s only');

select results_eq(
  $$select event_type, action_count, avg_duration, unique_items
    from api.behaviour_summary('20500000-0000-0000-0000-0000000000a1')$$,
  $$values ('view'::text, 2::bigint, 150::double precision, 2::bigint), ('search', 1, null, 0)$$,
  'the 30-day behaviour summary per event type');
select is_empty($$select * from api.behaviour_summary('20500000-0000-0000-0000-0000000000b1')$$,
  'another user''s behaviour summary is empty under RLS');
select results_eq(
  $$select user_id, total_actions, unique_items, active_days from public.user_engagement_summary$$,
  $$values ('20500000-0000-0000-0000-0000000000a1'::uuid, 3::bigint, 2::bigint, 1::bigint)$$,
  'the engagement view shows the caller''s row only');

reset role;
select * from finish();
rollback;
