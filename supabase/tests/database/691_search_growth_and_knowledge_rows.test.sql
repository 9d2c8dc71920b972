-- api.search_growth_matches (the growth filters of GET /v1/search: evolution state as
-- api.card_evolution computes it, positive growth per dimension) and api.search_knowledge_rows
-- (the entries found by meaning, kept when they are knowledge of the caller's apps), from the
-- owner's, a stranger's and an anonymous caller's side.
begin;
create extension if not exists pgtap with schema extensions;
select plan(17);

insert into auth.users (id, email) values
  ('69000000-0000-4000-8000-000000000001', 'grower690@example.com'),
  ('69000000-0000-4000-8000-000000000002', 'stranger690@example.com');
-- A memory (its card made by trigger) grown in three dimensions: a bloom; a concept grown in
-- none: a seed; a concept whose growth cancelled out: still a seed.
insert into public.memories (memory_id, user_id, title, content) values
  ('69000000-0000-4000-8000-0000000000a1', '69000000-0000-4000-8000-000000000001', 'Swim', 'Across the lake');
insert into public.concepts (concept_id, user_id, name, type) values
  ('69000000-0000-4000-8000-0000000000c1', '69000000-0000-4000-8000-000000000001', 'Rowing', 'theme'),
  ('69000000-0000-4000-8000-0000000000c2', '69000000-0000-4000-8000-000000000001', 'Sailing', 'theme');
insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values
  ('69000000-0000-4000-8000-000000000001', '69000000-0000-4000-8000-0000000000a1', 'memory', 'self_know', 0.1, 'test'),
  ('69000000-0000-4000-8000-000000000001', '69000000-0000-4000-8000-0000000000a1', 'memory', 'world_act', 0.1, 'test'),
  ('69000000-0000-4000-8000-000000000001', '69000000-0000-4000-8000-0000000000a1', 'memory', 'self_show', 0.1, 'test'),
  ('69000000-0000-4000-8000-000000000001', '69000000-0000-4000-8000-0000000000c2', 'concept', 'world_act', 0.1, 'test'),
  ('69000000-0000-4000-8000-000000000001', '69000000-0000-4000-8000-0000000000c2', 'concept', 'world_act', -0.1, 'test');

-- A third concept linked to five others: a constellation.
insert into public.concepts (concept_id, user_id, name, type) values
  ('69000000-0000-4000-8000-0000000000c3', '69000000-0000-4000-8000-000000000001', 'Regatta', 'theme');
insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count) values
  ('69000000-0000-4000-8000-000000000001', 'concept', '69000000-0000-4000-8000-0000000000c3', 5);

insert into public.apps (app_id, slug, display_name, domain) values
  ('69000000-0000-4000-8000-0000000000b1', 't690_coach', 'Coach 690', 'health'),
  ('69000000-0000-4000-8000-0000000000b2', 't690_other', 'Other 690', 'health');
insert into public.knowledge_bases (knowledge_base_id, slug, title) values
  ('69000000-0000-4000-8000-0000000000e1', 't690_notes', 'Notes'),
  ('69000000-0000-4000-8000-0000000000e2', 't690_other_notes', 'Other notes');
insert into public.app_knowledge_bases (app_id, knowledge_base_id) values
  ('69000000-0000-4000-8000-0000000000b1', '69000000-0000-4000-8000-0000000000e1'),
  ('69000000-0000-4000-8000-0000000000b2', '69000000-0000-4000-8000-0000000000e2');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content, is_active) values
  ('69000000-0000-4000-8000-0000000000d1', '69000000-0000-4000-8000-0000000000e1', 'Hydration', 'Drink water', true),
  ('69000000-0000-4000-8000-0000000000d2', '69000000-0000-4000-8000-0000000000e2', 'Hydration', 'Sip water', true),
  ('69000000-0000-4000-8000-0000000000d3', '69000000-0000-4000-8000-0000000000e1', 'Retired', 'Old advice', false);
insert into public.user_progress (user_id, app_id) values
  ('69000000-0000-4000-8000-000000000001', '69000000-0000-4000-8000-0000000000b1');

create temporary table candidates (kind text, id uuid) on commit drop;
insert into candidates values
  ('memory', '69000000-0000-4000-8000-0000000000a1'),
  ('concept', '69000000-0000-4000-8000-0000000000c1'),
  ('concept', '69000000-0000-4000-8000-0000000000c2'),
  ('concept', '69000000-0000-4000-8000-0000000000c3'),
  ('memory', '69000000-0000-4000-8000-0000000000ff');  -- no such memory: no card
grant select on candidates to authenticated, anon;
create temporary table rules (r jsonb) on commit drop;
insert into rules values ('[{"state": "constellation", "min_connections": 5},
                           {"state": "bloom", "min_dimensions": 3},
                           {"state": "sprout", "min_dimensions": 1}]');
grant select on rules to authenticated, anon;

set local role authenticated;
set local request.jwt.claims = '{"sub": "69000000-0000-4000-8000-000000000001", "role": "authenticated"}';

select set_eq($$select right(entity_id::text, 2), evolution_state
                from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                               (select r from rules), 'seed')$$,
  $$values ('a1', 'bloom'), ('c1', 'seed'), ('c2', 'seed'), ('c3', 'constellation')$$,
  'no restriction: every candidate with a card, in its computed state; one without a card never');
select set_eq($$select entity_id, evolution_state
                from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                               (select r from rules), 'seed')$$,
  $$select source_entity_id, evolution_state from api.card_evolution((select r from rules), 'seed')$$,
  'each state is the one api.card_evolution computes for the card');
select is(private.evolution_state_for((select r from rules), 'seed', 9, 0), 'constellation',
  'the first rule met wins');
select is(private.evolution_state_for('[{"state": "bloom", "min_dimensions": 3}]', 'seed', 0, 2), 'seed',
  'no rule met: the default state');
select set_eq($$select right(entity_id::text, 2)
                from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                               (select r from rules), 'seed', '{bloom}')$$,
  array['a1'], 'a state keeps the cards in it');
select set_eq($$select right(entity_id::text, 2)
                from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                               (select r from rules), 'seed', '{seed,sprout}')$$,
  array['c1', 'c2'], 'several states keep the cards in any of them');
select set_eq($$select right(entity_id::text, 2)
                from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                               (select r from rules), 'seed', null, '{world_act}')$$,
  array['a1'], 'a dimension keeps the entities grown in it (growth that cancelled out is none)');
select is_empty($$select from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                                        (select r from rules), 'seed', null, '{world_act,world_know}')$$,
  'every dimension given must have grown');
select set_eq($$select right(entity_id::text, 2)
                from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                               (select r from rules), 'seed', '{bloom}', '{self_know}')$$,
  array['a1'], 'a state and a dimension together');

select set_eq($$select right(entity_id::text, 2) as entry, entity_type, right(app_id::text, 2) as app
                from api.search_knowledge_rows(array['69000000-0000-4000-8000-0000000000d1',
                  '69000000-0000-4000-8000-0000000000d2', '69000000-0000-4000-8000-0000000000d3']::uuid[])$$,
  $$values ('d1', 'knowledge', 'b1')$$,
  'knowledge rows: the active entries of the caller''s apps only, not another app''s, not a retired one');
select is_empty($$select from api.search_knowledge_rows(array['69000000-0000-4000-8000-0000000000d1']::uuid[],
                                                         '69000000-0000-4000-8000-0000000000b2')$$,
  'knowledge rows keep the app asked for');
select is_empty($$select from api.search_knowledge_rows(array['69000000-0000-4000-8000-0000000000d1']::uuid[],
                                                         null, now() + interval '1 day')$$,
  'knowledge rows keep the created range');

set local request.jwt.claims = '{"sub": "69000000-0000-4000-8000-000000000002", "role": "authenticated"}';
select is_empty($$select from api.search_growth_matches((select array_agg(kind) from candidates), (select array_agg(id) from candidates),
                                                        (select r from rules), 'seed')$$,
  'a stranger matches none of another person''s cards');
select is_empty($$select from api.search_knowledge_rows(array['69000000-0000-4000-8000-0000000000d1']::uuid[])$$,
  'a stranger without the app gets none of its knowledge');

reset role;
set local role anon;
select throws_ok($$select * from api.search_growth_matches('{memory}', array['69000000-0000-4000-8000-0000000000a1']::uuid[], '[]', 'seed')$$,
  '42501', null, 'anonymous may not call search_growth_matches');
select throws_ok($$select * from api.search_knowledge_rows(array['69000000-0000-4000-8000-0000000000d1']::uuid[])$$,
  '42501', null, 'anonymous may not call search_knowledge_rows');
reset role;

select ok(not has_function_privilege('anon', 'api.search_knowledge_rows(uuid[], uuid, timestamptz, timestamptz)', 'execute'),
  'anon has no execute grant on search_knowledge_rows');

select * from finish();
rollback;
