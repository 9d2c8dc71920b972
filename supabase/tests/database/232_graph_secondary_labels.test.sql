-- Secondary node labels (graph.nodes.extra_labels): only the port's Person and Location, and
-- graph.neighbours_of returns them with each neighbour; the schema stays the server's alone.
begin;
create extension if not exists pgtap with schema extensions;
select plan(6);

insert into auth.users (id, email) values
  ('23200000-0000-4000-8000-000000000001', 'labels232@example.com');

-- Given a memory that involves a concept labelled Person too, and a plain topic
insert into graph.nodes (node_id, user_id, label, extra_labels) values
  ('23200000-0000-4000-8000-0000000000a0', '23200000-0000-4000-8000-000000000001', 'MemoryUnit', '{}'),
  ('23200000-0000-4000-8000-0000000000a1', '23200000-0000-4000-8000-000000000001', 'Concept', '{Person}'),
  ('23200000-0000-4000-8000-0000000000a2', '23200000-0000-4000-8000-000000000001', 'Concept', default);
insert into graph.edges (user_id, source_id, target_id, type, weight) values
  ('23200000-0000-4000-8000-000000000001', '23200000-0000-4000-8000-0000000000a0', '23200000-0000-4000-8000-0000000000a1', 'INVOLVES', 0.9),
  ('23200000-0000-4000-8000-000000000001', '23200000-0000-4000-8000-0000000000a0', '23200000-0000-4000-8000-0000000000a2', 'INVOLVES', 0.5);

select results_eq(
  $$select right(node_id::text, 2), label, node_extra_labels from graph.neighbours_of(
      '23200000-0000-4000-8000-000000000001', array['23200000-0000-4000-8000-0000000000a0']::uuid[], 5)$$,
  $$values ('a1', 'Concept', '{Person}'::text[]), ('a2', 'Concept', '{}'::text[])$$,
  'neighbours_of returns each neighbour''s secondary labels'
);
select lives_ok(
  $$update graph.nodes set extra_labels = '{Location}'
    where node_id = '23200000-0000-4000-8000-0000000000a2'$$,
  'Location is a secondary label'
);
select throws_ok(
  $$update graph.nodes set extra_labels = '{Tag}'
    where node_id = '23200000-0000-4000-8000-0000000000a2'$$,
  '23514', null, 'a label that is no secondary one is refused'
);
select throws_ok(
  $$update graph.nodes set extra_labels = null
    where node_id = '23200000-0000-4000-8000-0000000000a2'$$,
  '23502', null, 'extra_labels is never null'
);
select ok(
  not has_function_privilege('authenticated', 'graph.neighbours_of(uuid, uuid[], integer)', 'execute'),
  'a signed-in client cannot call neighbours_of'
);
select ok(
  not has_table_privilege('authenticated', 'graph.nodes', 'select'),
  'a signed-in client cannot read graph nodes'
);

select * from finish();
rollback;
