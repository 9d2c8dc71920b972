-- Data lifecycle in SQL: bulk deletes queue store removals instead of outbox rows, the
-- per-person retention batch removes exactly what is past each owner's retention, the preview
-- changes nothing, the erasure table's checks, the owned-table catalogue and the probes.
begin;
create extension if not exists pgtap with schema extensions;
select plan(31);

insert into auth.users (id, email) values
  ('56000000-0000-4000-8000-000000000001', 'month@example.com'),
  ('56000000-0000-4000-8000-000000000002', 'year@example.com');
update public.profiles set data_retention_days = 30 where user_id = '56000000-0000-4000-8000-000000000001';

insert into public.memories (memory_id, user_id, title, content, created_at) values
  ('56000000-0000-4000-8000-0000000000a1', '56000000-0000-4000-8000-000000000001', 'old', 'x', now() - interval '40 days'),
  ('56000000-0000-4000-8000-0000000000a2', '56000000-0000-4000-8000-000000000001', 'new', 'x', now() - interval '5 days'),
  ('56000000-0000-4000-8000-0000000000a3', '56000000-0000-4000-8000-000000000002', 'old, kept a year', 'x', now() - interval '40 days');
update public.memories set content = 'edited' where memory_id = '56000000-0000-4000-8000-0000000000a1';
insert into public.conversations (conversation_id, user_id, created_at) values
  ('56000000-0000-4000-8000-0000000000c1', '56000000-0000-4000-8000-000000000001', now() - interval '40 days'),
  ('56000000-0000-4000-8000-0000000000c2', '56000000-0000-4000-8000-000000000001', now() - interval '40 days');
insert into public.messages (message_id, conversation_id, user_id, role, content, created_at) values
  ('56000000-0000-4000-8000-0000000000d1', '56000000-0000-4000-8000-0000000000c1', '56000000-0000-4000-8000-000000000001', 'user', 'old', now() - interval '40 days'),
  ('56000000-0000-4000-8000-0000000000d2', '56000000-0000-4000-8000-0000000000c2', '56000000-0000-4000-8000-000000000001', 'user', 'old', now() - interval '40 days'),
  ('56000000-0000-4000-8000-0000000000d3', '56000000-0000-4000-8000-0000000000c2', '56000000-0000-4000-8000-000000000001', 'user', 'new', now());

-- The preview counts and changes nothing.
select is(private.preview_retention('56000000-0000-4000-8000-000000000001') ->> 'memories_past_retention', '1',
          'the preview counts the memory past its owner''s 30 days');
select is(private.preview_retention('56000000-0000-4000-8000-000000000001') ->> 'messages_past_retention', '2',
          'and both old messages');
select is(private.preview_retention('56000000-0000-4000-8000-000000000001') ->> 'conversations_past_retention', '1',
          'and the conversation with no recent message');
select is((select count(*)::integer from public.memories where user_id = '56000000-0000-4000-8000-000000000001'), 2,
          'the preview deleted nothing');

-- The retention batch, walked from just below this file's ids over exactly its three memories,
-- so other data in the database never enters a batch.
select results_eq($$select processed from private.purge_past_retention_batch('memories', 3, '55ffffff-ffff-ffff-ffff-ffffffffffff', null)$$,
                  array[1], 'a memories batch deletes the one past retention among the keys it walked');
select is((select array_agg(memory_id order by memory_id) from public.memories where memory_id::text like '56000000-%'),
          array['56000000-0000-4000-8000-0000000000a2', '56000000-0000-4000-8000-0000000000a3']::uuid[],
          'the recent memory and the year-keeper''s old one stay');
select is((select count(*)::integer from public.memory_history where memory_id = '56000000-0000-4000-8000-0000000000a1'), 0,
          'retention keeps no history of what it removes');
select is((select count(*)::integer from private.outbox where table_name = 'memories' and event_type = 'DELETE'
            and row_key = '56000000-0000-4000-8000-0000000000a1'), 0,
          'the delete wrote no outbox row');
select results_eq($$select table_name, row_key, user_id from private.lifecycle_removals where row_key like '56000000-%'$$,
                  $$values ('memories'::text, '56000000-0000-4000-8000-0000000000a1'::text, '56000000-0000-4000-8000-000000000001'::uuid)$$,
                  'it queued the removal for the stores instead');
select ok((select version from private.lifecycle_removals where row_key = '56000000-0000-4000-8000-0000000000a1')
            > (select max(outbox_id) from private.outbox),
          'the removal''s version orders after every change the outbox carried');
-- Two keys: the two left (a third would walk on into whatever else the database holds).
select results_eq($$select processed from private.purge_past_retention_batch('memories', 2, '55ffffff-ffff-ffff-ffff-ffffffffffff', null)$$,
                  array[0], 'a second run finds nothing more to do');

select results_eq($$select processed from private.purge_past_retention_batch('conversations', 100, null, '56000000-0000-4000-8000-000000000001')$$,
                  array[1], 'with a user, the batch walks that person''s conversations');
select results_eq($$select processed from private.purge_past_retention_batch('messages', 100, null, '56000000-0000-4000-8000-000000000001')$$,
                  array[1], 'the old message of the live conversation goes; the other went with its conversation');
select is((select array_agg(message_id) from public.messages where user_id = '56000000-0000-4000-8000-000000000001'),
          array['56000000-0000-4000-8000-0000000000d3']::uuid[], 'only the recent message is left');
select is((select count(*)::integer from private.lifecycle_removals where table_name = 'messages' and user_id = '56000000-0000-4000-8000-000000000001'), 2,
          'messages cascaded with their conversation are queued too');
select throws_ok($$select * from private.purge_past_retention_batch('profiles')$$, '22023', null,
                 'a table without a retention rule is refused');

-- A signed-in person cannot divert their deletes away from the outbox.
set local role authenticated;
set local request.jwt.claims to '{"sub": "56000000-0000-4000-8000-000000000001", "role": "authenticated"}';
set local dotline.deletes_to to 'removals';
delete from public.memories where memory_id = '56000000-0000-4000-8000-0000000000a2';
reset role;
reset dotline.deletes_to;
select is((select count(*)::integer from private.outbox where row_key = '56000000-0000-4000-8000-0000000000a2' and event_type = 'DELETE'), 1,
          'a person''s own delete goes through the outbox whatever they set');
select throws_ok($$set local role authenticated; select private.purge_past_retention_batch('memories')$$, '42501', null,
                 'the retention batch is not for signed-in people');
reset role;

-- Decay notes importance changes for the re-sync instead of the outbox.
insert into public.memories (memory_id, user_id, title, content, created_at, importance, decay_rate) values
  ('56000000-0000-4000-8000-0000000000b1', '56000000-0000-4000-8000-000000000002', 'unused', 'x', now() - interval '40 days', 0.50, 0.10);
select results_eq($$select processed from private.decay_memory_importance_batch(1, '56000000-0000-4000-8000-0000000000b0')$$,
                  array[1], 'decay lowers the unused memory');
select is((select count(*)::integer from private.outbox where row_key = '56000000-0000-4000-8000-0000000000b1' and event_type = 'UPDATE'), 0,
          'decay writes no outbox row');
select is((select user_id from private.importance_changes where memory_id = '56000000-0000-4000-8000-0000000000b1'),
          '56000000-0000-4000-8000-000000000002'::uuid, 'it notes the memory for the importance re-sync');
set local dotline.updates_to to 'importance_changes';
update public.memories set title = 'renamed', importance = 0.3 where memory_id = '56000000-0000-4000-8000-0000000000b1';
reset dotline.updates_to;
select is((select count(*)::integer from private.outbox where row_key = '56000000-0000-4000-8000-0000000000b1' and event_type = 'UPDATE'), 1,
          'an update that changes more than importance still goes through the outbox');

-- The catalogue of owned tables and the probes.
select ok(exists (select 1 from private.user_owned_tables() where schema_name = 'public' and table_name = 'memories'),
          'memories are an owned table');
select ok(not exists (select 1 from private.user_owned_tables() where table_name like 'behaviour_events_p%'),
          'partitions are covered by their parent, not listed');
select ok(not exists (select 1 from private.user_owned_tables() where table_name in ('erasures', 'lifecycle_removals', 'importance_changes')),
          'the erasure ledger, the removal queue and the importance notes are not a person''s data');
select is(private.count_user_rows('56000000-0000-4000-8000-000000000002') - 'public.cards' - 'public.search_documents'
            - 'private.search_document_counts' - 'private.search_term_counts',
          '{"auth.users": 1, "public.profiles": 1, "public.memories": 2, "public.memory_history": 1}'::jsonb,
          'the probe counts a person''s rows per table (cards, search documents and their counts made by trigger aside)');
select is(private.count_user_rows('56000000-0000-4000-8000-0000000000ff'), '{}'::jsonb,
          'an unknown person probes as nothing left');
select is((select count(*)::integer from private.export_user_rows('56000000-0000-4000-8000-000000000002', 'public', 'memories')), 2,
          'the export reads the person''s rows of a table');
select throws_ok($$select private.export_user_rows('56000000-0000-4000-8000-000000000002', 'public', 'apps')$$, '22023', null,
                 'the export refuses a table a person does not own');

-- Erasure requests.
select throws_ok($$insert into private.erasures (user_id, status) values ('56000000-0000-4000-8000-0000000000f1', 'verified')$$,
                 '23514', null, 'a verified erasure needs verified_at (erasures_verified_at_iff_verified)');
select throws_ok($$insert into private.erasures (user_id, status) values ('56000000-0000-4000-8000-0000000000f1', 'done')$$,
                 '23514', null, 'status is pending or verified (erasures_status_valid)');

select * from finish();
rollback;
