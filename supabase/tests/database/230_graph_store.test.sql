-- The embedded graph store: no client role reaches the graph schema, edges stay inside one
-- user's graph, and the traversal functions walk either direction within their bounds.
begin;
create extension if not exists pgtap with schema extensions;
select plan(20);

insert into auth.users (id, email) values
  ('23000000-0000-0000-0000-0000000000a1', 'graph-a@example.com'),
  ('23000000-0000-0000-0000-0000000000b1', 'graph-b@example.com');

-- a -> b -> c -> d for user A, and a lone node e; x belongs to user B.
insert into graph.nodes (node_id, user_id, label) values
  ('23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-0000000000a1', 'Concept'),
  ('23000000-0000-0000-0000-00000000000b', '23000000-0000-0000-0000-0000000000a1', 'MemoryUnit'),
  ('23000000-0000-0000-0000-00000000000c', '23000000-0000-0000-0000-0000000000a1', 'Concept'),
  ('23000000-0000-0000-0000-00000000000d', '23000000-0000-0000-0000-0000000000a1', 'Tag'),
  ('23000000-0000-0000-0000-00000000000e', '23000000-0000-0000-0000-0000000000a1', 'Person'),
  ('23000000-0000-0000-0000-0000000000ff', '23000000-0000-0000-0000-0000000000b1', 'Concept');
insert into graph.edges (user_id, source_id, target_id, type) values
  ('23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-00000000000b', 'RELATED_TO'),
  ('23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000b', '23000000-0000-0000-0000-00000000000c', 'SUPPORTS'),
  ('23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000c', '23000000-0000-0000-0000-00000000000d', 'TAGGED_WITH');

select ok(not has_schema_privilege('anon', 'graph', 'usage'), 'anon cannot use the graph schema');
select ok(not has_schema_privilege('authenticated', 'graph', 'usage'),
  'authenticated cannot use the graph schema');
select ok(has_schema_privilege('service_role', 'graph', 'usage'), 'service_role uses the graph schema');
select ok(not has_function_privilege('authenticated', 'graph.neighbourhood(uuid, uuid, integer, integer)', 'execute'),
  'authenticated cannot walk graphs');

set local role authenticated;
select throws_ok($$select count(*) from graph.nodes$$, '42501', null,
  'authenticated is denied the node table');
reset role;

select throws_ok(
  $$insert into graph.edges (user_id, source_id, target_id, type) values
    ('23000000-0000-0000-0000-0000000000b1', '23000000-0000-0000-0000-0000000000ff', '23000000-0000-0000-0000-00000000000a', 'OWNS')$$,
  '23503', null, 'an edge cannot reach into another user''s graph');
select throws_ok(
  $$insert into graph.edges (user_id, source_id, target_id, type) values
    ('23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-00000000000a', 'OWNS')$$,
  '23514', null, 'an edge from a node to itself is rejected');
select throws_ok(
  $$insert into graph.edges (user_id, source_id, target_id, type) values
    ('23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-00000000000e', 'LIKES')$$,
  '23514', null, 'an unknown relationship type is rejected');
select throws_ok(
  $$insert into graph.nodes (node_id, user_id, label) values
    (gen_random_uuid(), '23000000-0000-0000-0000-0000000000a1', 'Planet')$$,
  '23514', null, 'an unknown label is rejected');

set local role service_role;
select results_eq(
  $$select node_id, distance from graph.neighbourhood(
      '23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000c', 1, 100)$$,
  $$values ('23000000-0000-0000-0000-00000000000c'::uuid, 0),
           ('23000000-0000-0000-0000-00000000000b'::uuid, 1),
           ('23000000-0000-0000-0000-00000000000d'::uuid, 1)$$,
  'depth 1 reaches both directions, nearest first');
select is(
  (select count(*)::integer from graph.neighbourhood(
      '23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000a', 6, 100)),
  4, 'a deep walk reaches the whole component and no further');
select is(
  (select count(*)::integer from graph.neighbourhood(
      '23000000-0000-0000-0000-0000000000a1', '23000000-0000-0000-0000-00000000000a', 6, 2)),
  2, 'the limit caps the nodes returned');
select is_empty(
  $$select * from graph.neighbourhood(
      '23000000-0000-0000-0000-0000000000b1', '23000000-0000-0000-0000-00000000000a', 2, 100)$$,
  'another user''s node has no neighbourhood for B');
select is(
  graph.shortest_path('23000000-0000-0000-0000-0000000000a1',
    '23000000-0000-0000-0000-00000000000d', '23000000-0000-0000-0000-00000000000a', 6),
  array['23000000-0000-0000-0000-00000000000d', '23000000-0000-0000-0000-00000000000c',
        '23000000-0000-0000-0000-00000000000b', '23000000-0000-0000-0000-00000000000a']::uuid[],
  'a shortest path walks edges against their direction');
select is(
  graph.shortest_path('23000000-0000-0000-0000-0000000000a1',
    '23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-00000000000d', 2),
  null, 'a path longer than max_depth is not found');
select is(
  graph.shortest_path('23000000-0000-0000-0000-0000000000a1',
    '23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-00000000000e', 6),
  null, 'an unreachable node has no path');
select is(
  graph.shortest_path('23000000-0000-0000-0000-0000000000b1',
    '23000000-0000-0000-0000-00000000000a', '23000000-0000-0000-0000-00000000000b', 6),
  null, 'another user finds no path through A''s graph');
select is(
  graph.shortest_path('23000000-0000-0000-0000-0000000000a1',
    '23000000-0000-0000-0000-00000000000b', '23000000-0000-0000-0000-00000000000b', 6),
  array['23000000-0000-0000-0000-00000000000b']::uuid[], 'a node''s path to itself is itself');
reset role;

delete from graph.nodes where node_id = '23000000-0000-0000-0000-00000000000b';
select is(
  (select count(*)::integer from graph.edges where user_id = '23000000-0000-0000-0000-0000000000a1'),
  1, 'deleting a node takes its edges with it');

delete from auth.users where id = '23000000-0000-0000-0000-0000000000a1';
select is(
  (select count(*)::integer from graph.nodes where user_id = '23000000-0000-0000-0000-0000000000a1'),
  0, 'deleting the account erases its graph');

select * from finish();
rollback;
