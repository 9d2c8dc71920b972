-- The outbox trigger skips updates that move only bookkeeping no mirror holds (access counts,
-- the decay clock, conversation counters, updated_at), through the same paths the server uses,
-- and still enqueues content changes, inserts and deletes (decays are noted for the importance
-- re-sync instead).
-- Counts only this test's own rows: other data may be in the database.
begin;
create extension if not exists pgtap with schema extensions;
select plan(22);

-- The trigger arguments: key column, then the ignored columns.
select is(
  (select string_to_array(encode(tgargs, 'escape'), '\000') from pg_trigger
   where tgname = 'memories_to_outbox' and tgrelid = 'public.memories'::regclass),
  array['memory_id', 'updated_at', 'access_count', 'last_accessed_at', 'last_decayed_at', ''],
  'memories ignore updated_at, access and the decay clock, not importance');

insert into auth.users (id, email) values ('31000000-0000-4000-8000-0000000000a1', 'outbox-skip@example.com');
insert into public.memories (memory_id, user_id, title, content) values
  ('31000000-0000-4000-8000-0000000000e1', '31000000-0000-4000-8000-0000000000a1', 'Lisbon', 'Trams up the hill');
insert into public.memories (memory_id, user_id, title, content, importance, created_at) values
  ('31000000-0000-4000-8000-0000000000e2', '31000000-0000-4000-8000-0000000000a1', 'Faro', 'Old town walls', 0.50,
   now() - interval '40 days');

create function pg_temp.queued(p_table text, p_key text, p_type text) returns integer
language sql as $$
  select count(*)::integer from private.outbox
  where table_name = p_table and row_key = p_key and event_type = p_type
$$;

-- Inserts enqueue.
select is(pg_temp.queued('memories', '31000000-0000-4000-8000-0000000000e1', 'INSERT'), 1, 'a memory insert enqueues');

-- A content update enqueues exactly one row.
update public.memories set content = 'Trams up the hill, then custard tarts'
where memory_id = '31000000-0000-4000-8000-0000000000e1';
select is(pg_temp.queued('memories', '31000000-0000-4000-8000-0000000000e1', 'UPDATE'), 1,
  'a content update enqueues exactly one row');

-- Reading a memory (the owner, through the real access helper) enqueues nothing.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "31000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select is(private.record_memory_access(array['31000000-0000-4000-8000-0000000000e1']::uuid[]), 1,
  'the owner''s read is counted');
reset role;
select is((select access_count from public.memories where memory_id = '31000000-0000-4000-8000-0000000000e1'), 1,
  'the access count moved');
select is(pg_temp.queued('memories', '31000000-0000-4000-8000-0000000000e1', 'UPDATE'), 1,
  'an access-only update enqueues nothing');

-- updated_at alone is no change.
update public.memories set updated_at = now() - interval '1 hour'
where memory_id = '31000000-0000-4000-8000-0000000000e1';
select is(pg_temp.queued('memories', '31000000-0000-4000-8000-0000000000e1', 'UPDATE'), 1,
  'an updated_at-only update enqueues nothing');

-- A decay lowers importance, which the graph and the vector index mirror: it is noted for the
-- retention run's importance re-sync instead (20261202170000_lifecycle.sql).
select is(
  (select processed from private.decay_memory_importance_batch(1, '31000000-0000-4000-8000-0000000000e1')),
  1, 'the decay batch decays the unused memory');
select is(pg_temp.queued('memories', '31000000-0000-4000-8000-0000000000e2', 'UPDATE'), 0,
  'a decay enqueues no outbox row');
select is(
  (select m.importance from private.importance_changes c join public.memories m using (memory_id)
   where c.memory_id = '31000000-0000-4000-8000-0000000000e2'),
  0.45::numeric(3,2), 'the decayed importance is noted for the re-sync');

-- Search bumps knowledge access counts without enqueueing; a content edit still enqueues.
insert into public.apps (app_id, slug, display_name, domain) values
  ('31000000-0000-4000-8000-0000000000b1', 't310_coach', 'T310 Coach', 'dating');
insert into public.knowledge_bases (knowledge_base_id, slug, title, is_active) values
  ('31000000-0000-4000-8000-0000000000c1', 't310_base', 'T310 Base', true);
insert into public.app_knowledge_bases (app_id, knowledge_base_id) values
  ('31000000-0000-4000-8000-0000000000b1', '31000000-0000-4000-8000-0000000000c1');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content) values
  ('31000000-0000-4000-8000-0000000000d1', '31000000-0000-4000-8000-0000000000c1', 'Zanzibar openness', 'Share first.'),
  ('31000000-0000-4000-8000-0000000000d2', '31000000-0000-4000-8000-0000000000c1', 'Zanzibar listening', 'Ask, listen.');
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "31000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select is((select count(*)::integer from api.search_knowledge('zanzibar', 't310_coach', 10)), 2,
  'the search finds both entries');
reset role;
select is(
  (select array_agg(access_count order by knowledge_entry_id) from public.knowledge_entries
   where knowledge_base_id = '31000000-0000-4000-8000-0000000000c1'),
  array[1, 1], 'the search counted an access to each hit');
select is(
  (select count(*)::integer from private.outbox where table_name = 'knowledge_entries' and event_type = 'UPDATE'
   and row_key in ('31000000-0000-4000-8000-0000000000d1', '31000000-0000-4000-8000-0000000000d2')),
  0, 'a search enqueues nothing for knowledge entries');
update public.knowledge_entries set content = 'Share first, then listen.'
where knowledge_entry_id = '31000000-0000-4000-8000-0000000000d1';
select is(pg_temp.queued('knowledge_entries', '31000000-0000-4000-8000-0000000000d1', 'UPDATE'), 1,
  'a knowledge entry content edit enqueues');

-- A message enqueues itself; the counter bump on its conversation enqueues nothing.
insert into public.conversations (conversation_id, user_id, title) values
  ('31000000-0000-4000-8000-0000000000f1', '31000000-0000-4000-8000-0000000000a1', 'Trip');
insert into public.messages (message_id, conversation_id, user_id, role, content) values
  ('31000000-0000-4000-8000-0000000000f2', '31000000-0000-4000-8000-0000000000f1',
   '31000000-0000-4000-8000-0000000000a1', 'user', 'Where next?');
select is(pg_temp.queued('messages', '31000000-0000-4000-8000-0000000000f2', 'INSERT'), 1, 'a message insert enqueues');
select is((select message_count from public.conversations where conversation_id = '31000000-0000-4000-8000-0000000000f1'),
  1, 'the conversation counted the message');
select is(pg_temp.queued('conversations', '31000000-0000-4000-8000-0000000000f1', 'UPDATE'), 0,
  'the conversation''s counter bump enqueues nothing');
update public.conversations set title = 'Algarve trip' where conversation_id = '31000000-0000-4000-8000-0000000000f1';
select is(pg_temp.queued('conversations', '31000000-0000-4000-8000-0000000000f1', 'UPDATE'), 1,
  'a conversation title change enqueues');

-- Deletes enqueue (the message's delete bumps the counter again, without a conversation row).
delete from public.messages where message_id = '31000000-0000-4000-8000-0000000000f2';
select is(pg_temp.queued('messages', '31000000-0000-4000-8000-0000000000f2', 'DELETE'), 1, 'a message delete enqueues');
select is(pg_temp.queued('conversations', '31000000-0000-4000-8000-0000000000f1', 'UPDATE'), 1,
  'the counter drop enqueues nothing for the conversation');
delete from public.memories where memory_id = '31000000-0000-4000-8000-0000000000e1';
select is(pg_temp.queued('memories', '31000000-0000-4000-8000-0000000000e1', 'DELETE'), 1, 'a memory delete enqueues');
select is(
  (select array_agg(event_type order by outbox_id) from private.outbox
   where table_name = 'memories' and row_key = '31000000-0000-4000-8000-0000000000e1'),
  array['INSERT', 'UPDATE', 'DELETE'], 'the memory''s queue holds its insert, its one content change and its delete');

select * from finish();
rollback;
