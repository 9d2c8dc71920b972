-- Derived artifacts, proactive prompts, orb states and the graph/vector mirrors: checks and
-- server-only writes.
begin;
create extension if not exists pgtap with schema extensions;
select plan(19);

insert into auth.users (id, email) values
  ('20300000-0000-0000-0000-0000000000a1', 'art-a@example.com'),
  ('20300000-0000-0000-0000-0000000000b1', 'art-b@example.com');

select throws_ok(
  $$insert into public.derived_artifacts (user_id, artifact_type, title) values ('20300000-0000-0000-0000-0000000000a1', 'meme', 't')$$,
  '23514', null, 'artifact_type outside trophy/poster/insight_summary/cycle_report is rejected');
select throws_ok(
  $$insert into public.derived_artifacts (user_id, artifact_type, title, source_entities)
    values ('20300000-0000-0000-0000-0000000000a1', 'trophy', 't', '["challenge"]')$$,
  '23514', null, 'source_entities must be an array of objects');
select throws_ok(
  $$insert into public.derived_artifacts (user_id, artifact_type, title) values ('20300000-0000-0000-0000-0000000000a1', 'trophy', '')$$,
  '23514', null, 'an empty title is rejected');
select lives_ok(
  $$insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title, description, source_entities, attributes)
    values ('20300000-0000-0000-0000-00000000d001', '20300000-0000-0000-0000-0000000000a1', 'trophy', '30-Day Journaling Streak',
            'Completed 30 consecutive days of journaling',
            '[{"type":"challenge","id":"789e4567-e89b-12d3-a456-426614174001"}]',
            '{"display_type": "gold", "icon_path": "/assets/trophies/gold-pen.svg"}')$$,
  'the V7 trophy example is stored as a derived artifact');

select throws_ok(
  $$insert into public.orb_states (user_id, visual_state, emotional_tone, energy_level)
    values ('20300000-0000-0000-0000-0000000000a1', 'speaking', 'excited', 1.2)$$,
  '23514', null, 'energy_level above 1 is rejected');
select throws_ok(
  $$insert into public.orb_states (user_id, visual_state, emotional_tone, energy_level)
    values ('20300000-0000-0000-0000-0000000000a1', 'speaking', 'excited', -0.1)$$,
  '23514', null, 'energy_level below 0 is rejected');
select throws_ok(
  $$insert into public.orb_states (user_id, visual_state, emotional_tone, energy_level, effects)
    values ('20300000-0000-0000-0000-0000000000a1', 'speaking', 'excited', 0.8, '{}')$$,
  '23514', null, 'effects must be an array of objects');

select throws_ok(
  $$insert into public.proactive_prompts (user_id, prompt_text, source_agent) values ('20300000-0000-0000-0000-0000000000a1', '  ', 'insight')$$,
  '23514', null, 'a blank prompt is rejected');
insert into public.proactive_prompts (prompt_id, user_id, prompt_text, source_agent) values
  ('20300000-0000-0000-0000-00000000e001', '20300000-0000-0000-0000-0000000000a1', 'What did you learn this week?', 'insight_worker');

select throws_ok(
  $$insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count)
    values ('20300000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), -1)$$,
  '23514', null, 'a negative connection count is rejected');
select throws_ok(
  $$insert into public.user_graph_projections (user_id, projection_data) values ('20300000-0000-0000-0000-0000000000a1', '[]')$$,
  '23514', null, 'projection_data must be an object');
select throws_ok(
  $$insert into public.entity_vectors (user_id, entity_type, entity_id, vector_id, embedding_model_version)
    values ('20300000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), '', 'm1')$$,
  '23514', null, 'an empty vector_id is rejected');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20300000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select is((select title from public.derived_artifacts), '30-Day Journaling Streak', 'the owner reads their artifact');
select throws_ok(
  $$insert into public.derived_artifacts (user_id, artifact_type, title) values ('20300000-0000-0000-0000-0000000000a1', 'trophy', 'self-awarded')$$,
  '42501', null, 'clients cannot award themselves artifacts');
select throws_ok(
  $$update public.derived_artifacts set title = 'x'$$,
  '42501', null, 'clients cannot edit artifacts');
select throws_ok(
  $$insert into public.orb_states (user_id, visual_state, emotional_tone, energy_level)
    values ('20300000-0000-0000-0000-0000000000a1', 'speaking', 'excited', 0.5)$$,
  '42501', null, 'orb states are written by the server');
select lives_ok(
  $$update public.proactive_prompts set status = 'dismissed' where prompt_id = '20300000-0000-0000-0000-00000000e001'$$,
  'the owner dismisses a prompt');
select throws_ok(
  $$update public.proactive_prompts set prompt_text = 'x' where prompt_id = '20300000-0000-0000-0000-00000000e001'$$,
  '42501', null, 'the prompt text is server-only');
select throws_ok(
  $$update public.graph_connection_stats set connection_count = 100$$,
  '42501', null, 'connection counts are server-only');
select throws_ok(
  $$insert into public.entity_vectors (user_id, entity_type, entity_id, vector_id, embedding_model_version)
    values ('20300000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'v', 'm1')$$,
  '42501', null, 'entity vectors are server-only');

reset role;
select * from finish();
rollback;
