-- private.hidden_memory_nodes: which memory nodes a graph read must hide (expired, or purged and
-- queued for removal from the graph), the next expiry among the rest, only the caller's.
begin;
create extension if not exists pgtap with schema extensions;
select plan(9);

insert into auth.users (id, email) values
  ('59000000-0000-4000-8000-000000000001', 'graph-reader@example.com'),
  ('59000000-0000-4000-8000-000000000002', 'someone-else@example.com');

insert into public.memories (memory_id, user_id, title, content, created_at, expires_at) values
  ('59000000-0000-4000-8000-0000000000a1', '59000000-0000-4000-8000-000000000001', 'live', 'x', now() - interval '1 day', null),
  ('59000000-0000-4000-8000-0000000000a2', '59000000-0000-4000-8000-000000000001', 'expiring soon', 'x', now() - interval '1 day', now() + interval '1 hour'),
  ('59000000-0000-4000-8000-0000000000a3', '59000000-0000-4000-8000-000000000001', 'expiring later', 'x', now() - interval '1 day', now() + interval '2 days'),
  ('59000000-0000-4000-8000-0000000000a4', '59000000-0000-4000-8000-000000000001', 'expired', 'x', now() - interval '1 day', now() - interval '1 minute'),
  ('59000000-0000-4000-8000-0000000000b1', '59000000-0000-4000-8000-000000000002', 'not yours, expired', 'x', now() - interval '1 day', now() - interval '1 minute');
insert into private.lifecycle_removals (table_name, row_key, user_id, version) values
  ('memories', '59000000-0000-4000-8000-0000000000a5', '59000000-0000-4000-8000-000000000001', 1),
  ('memories', '59000000-0000-4000-8000-0000000000b2', '59000000-0000-4000-8000-000000000002', 1);

select has_index('public', 'memories', 'memories_user_expires_idx', 'the caller''s expired memories are one index range');
select ok(not has_function_privilege('anon', 'private.hidden_memory_nodes(uuid[])', 'execute'),
          'anon cannot ask which memory nodes are hidden');

set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '59000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

create temporary table answer on commit drop as
select * from private.hidden_memory_nodes(array[
  '59000000-0000-4000-8000-0000000000a1', '59000000-0000-4000-8000-0000000000a2',
  '59000000-0000-4000-8000-0000000000a3', '59000000-0000-4000-8000-0000000000a4',
  '59000000-0000-4000-8000-0000000000a5', '59000000-0000-4000-8000-0000000000a6',
  '59000000-0000-4000-8000-0000000000b1', '59000000-0000-4000-8000-0000000000b2'
]::uuid[]);

select ok((select '59000000-0000-4000-8000-0000000000a4'::uuid = any (hidden) from answer), 'an expired memory is hidden');
select ok((select '59000000-0000-4000-8000-0000000000a5'::uuid = any (hidden) from answer),
          'a purged memory still queued for removal from the graph is hidden');
select is(cardinality((select hidden from answer)), 2, 'nothing else is hidden: live memories, unknown ids, other people''s');
select ok(not ((select '59000000-0000-4000-8000-0000000000b1'::uuid = any (hidden) from answer)),
          'another person''s memory is not reported');
select is((select next_expiry from answer), (select expires_at from public.memories where memory_id = '59000000-0000-4000-8000-0000000000a2'),
          'the next expiry is the earliest still ahead among the shown memories');
select is((select checked_at from answer), now(), 'the answer says when it was checked');

select is((select cardinality(hidden) from private.hidden_memory_nodes('{}'::uuid[])), 0, 'no ids: nothing hidden');
reset role;

select * from finish();
rollback;
