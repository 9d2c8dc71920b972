-- Issue 5: graph.neighbours_of (one hop from several nodes, heaviest first, per-node limit, the
-- user's graph only, service_role only) and api.search_candidates naming the memory that
-- superseded a memory, and when.
begin;
create extension if not exists pgtap with schema extensions;
select plan(15);

insert into auth.users (id, email) values
  ('58000000-0000-4000-8000-000000000001', 'search580@example.com'),
  ('58000000-0000-4000-8000-000000000002', 'stranger580@example.com');

-- Given hub h with spokes s1..s3 (weights .1, .2, .3) of user 1, s1 -> t, and the stranger's x.
insert into graph.nodes (node_id, user_id, label) values
  ('58000000-0000-4000-8000-0000000000a0', '58000000-0000-4000-8000-000000000001', 'Concept'),
  ('58000000-0000-4000-8000-0000000000a1', '58000000-0000-4000-8000-000000000001', 'MemoryUnit'),
  ('58000000-0000-4000-8000-0000000000a2', '58000000-0000-4000-8000-000000000001', 'MemoryUnit'),
  ('58000000-0000-4000-8000-0000000000a3', '58000000-0000-4000-8000-000000000001', 'MemoryUnit'),
  ('58000000-0000-4000-8000-0000000000a4', '58000000-0000-4000-8000-000000000001', 'Tag'),
  ('58000000-0000-4000-8000-0000000000ff', '58000000-0000-4000-8000-000000000002', 'Concept');
insert into graph.edges (user_id, source_id, target_id, type, weight) values
  ('58000000-0000-4000-8000-000000000001', '58000000-0000-4000-8000-0000000000a1', '58000000-0000-4000-8000-0000000000a0', 'INVOLVES', 0.1),
  ('58000000-0000-4000-8000-000000000001', '58000000-0000-4000-8000-0000000000a2', '58000000-0000-4000-8000-0000000000a0', 'INVOLVES', 0.2),
  ('58000000-0000-4000-8000-000000000001', '58000000-0000-4000-8000-0000000000a0', '58000000-0000-4000-8000-0000000000a3', 'RELATED_TO', 0.3),
  ('58000000-0000-4000-8000-000000000001', '58000000-0000-4000-8000-0000000000a0', '58000000-0000-4000-8000-0000000000a3', 'SUPPORTS', 0.05),
  ('58000000-0000-4000-8000-000000000001', '58000000-0000-4000-8000-0000000000a1', '58000000-0000-4000-8000-0000000000a4', 'TAGGED_WITH', 1);

select results_eq(
  $$select right(node_id::text, 2), type from graph.neighbours_of('58000000-0000-4000-8000-000000000001',
      array['58000000-0000-4000-8000-0000000000a0']::uuid[], 2)$$,
  $$values ('a3', 'RELATED_TO'), ('a2', 'INVOLVES')$$,
  'the heaviest edges first, one (the strongest) per neighbour, either direction, within the limit');
select set_eq(
  $$select right(seed_id::text, 2) || '>' || right(node_id::text, 2) from graph.neighbours_of('58000000-0000-4000-8000-000000000001',
      array['58000000-0000-4000-8000-0000000000a0', '58000000-0000-4000-8000-0000000000a1', '58000000-0000-4000-8000-0000000000a1']::uuid[], 5)$$,
  $$values ('a0>a1'), ('a0>a2'), ('a0>a3'), ('a1>a0'), ('a1>a4')$$,
  'each seed (named once however often given) gets its own neighbours');
select is((select label from graph.neighbours_of('58000000-0000-4000-8000-000000000001',
      array['58000000-0000-4000-8000-0000000000a1']::uuid[], 5) where right(node_id::text, 2) = 'a4'),
  'Tag', 'each row carries the neighbour node');
select is_empty($$select from graph.neighbours_of('58000000-0000-4000-8000-000000000002',
      array['58000000-0000-4000-8000-0000000000a0']::uuid[], 5)$$,
  'another user''s nodes have no neighbours for this user');
select is_empty($$select from graph.neighbours_of('58000000-0000-4000-8000-000000000001', '{}', 5)$$,
  'no seeds, no neighbours');
select ok(not has_function_privilege('authenticated', 'graph.neighbours_of(uuid, uuid[], integer)', 'execute'),
  'authenticated cannot read the graph through it');
select ok(has_function_privilege('service_role', 'graph.neighbours_of(uuid, uuid[], integer)', 'execute'),
  'service_role can');

-- Given a memory that a newer one superseded a minute ago, and the newer one.
insert into public.memories (memory_id, user_id, title, content) values
  ('58000000-0000-4000-8000-0000000000b2', '58000000-0000-4000-8000-000000000001', 'Home', 'I moved to Berlin'),
  ('58000000-0000-4000-8000-0000000000b1', '58000000-0000-4000-8000-000000000001', 'Home', 'I live in Paris');
update public.memories set invalid_at = now() - interval '1 minute', superseded_by = '58000000-0000-4000-8000-0000000000b2'
where memory_id = '58000000-0000-4000-8000-0000000000b1';
insert into public.concepts (concept_id, user_id, name, type) values
  ('58000000-0000-4000-8000-0000000000c1', '58000000-0000-4000-8000-000000000001', 'Paris', 'place');
insert into public.memories (memory_id, user_id, title, content, created_at, expires_at) values
  ('58000000-0000-4000-8000-0000000000b3', '58000000-0000-4000-8000-000000000001', 'Gone', 'Expired', now() - interval '2 days', now() - interval '1 day'),
  ('58000000-0000-4000-8000-0000000000b9', '58000000-0000-4000-8000-000000000002', 'Theirs', 'Not yours', now(), null);

select set_config('request.jwt.claims', '{"sub": "58000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
set local role authenticated;
select is((select superseded_by from api.search_candidates('Paris') where entity_type = 'memory'),
  '58000000-0000-4000-8000-0000000000b2'::uuid, 'a superseded memory names what replaced it');
select ok((select invalid_at < now() from api.search_candidates('Paris') where entity_type = 'memory'),
  'and since when');
select is((select superseded_by from api.search_rows(array['58000000-0000-4000-8000-0000000000b2']::uuid[])),
  null, 'a current memory names nothing');
select is((select superseded_by from api.search_candidates('Paris', '{concept}')),
  null, 'concepts are never superseded');
select set_eq(
  $$select right(entity_id::text, 2) from api.search_rows(array['58000000-0000-4000-8000-0000000000b1', '58000000-0000-4000-8000-0000000000b2',
      '58000000-0000-4000-8000-0000000000b3', '58000000-0000-4000-8000-0000000000b9', '58000000-0000-4000-8000-0000000000c1']::uuid[])$$,
  $$values ('b1'), ('b2'), ('c1')$$, 'the re-read returns the caller''s live rows only: not expired, not another user''s');
select is((select superseded_by from api.search_rows(array['58000000-0000-4000-8000-0000000000b1']::uuid[])),
  '58000000-0000-4000-8000-0000000000b2'::uuid, 'with what superseded a memory');
select set_eq(
  $$select entity_type from api.search_rows(array['58000000-0000-4000-8000-0000000000b1', '58000000-0000-4000-8000-0000000000c1']::uuid[], '{concept}')$$,
  $$values ('concept')$$, 'within the types asked for');
select is_empty($$select from api.search_rows(array['58000000-0000-4000-8000-0000000000b1']::uuid[], null, null, now())$$,
  'and the created range');
reset role;

select * from finish();
rollback;
