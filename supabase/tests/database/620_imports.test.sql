-- Bulk imports: the owner reads their import, another user and anon read nothing, nobody writes
-- the table directly (only private.record_import, as the caller), the import keeps the original
-- times, a repeated id stores nothing, and erasing the person removes their imports.
begin;
create extension if not exists pgtap with schema extensions;
select plan(22);

insert into auth.users (id, email) values
  ('62000000-0000-0000-0000-0000000000a1', 'imp-a@example.com'),
  ('62000000-0000-0000-0000-0000000000b1', 'imp-b@example.com');

select ok((select relrowsecurity from pg_class where oid = 'public.imports'::regclass),
  'imports has row-level security on');
select ok(not has_table_privilege('anon', 'public.imports', 'SELECT'), 'anon has no grant on imports');
select ok(not has_table_privilege('authenticated', 'public.imports', 'INSERT')
          and not has_table_privilege('authenticated', 'public.imports', 'UPDATE')
          and not has_table_privilege('authenticated', 'public.imports', 'DELETE'),
  'a person writes imports only through the service');
select ok(not has_function_privilege('anon', 'private.record_import(uuid, text, text, jsonb)', 'EXECUTE')
          and not has_function_privilege('anon', 'private.import_progress(uuid)', 'EXECUTE'),
  'anon can neither import nor read progress');

-- As A: a transcript of two sessions and a batch of memories.
set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '62000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select is(
  (select row(kind, replayed, conflicting)::text from private.record_import(
     '62000000-0000-0000-0000-00000000aa01', 'transcript', 'hash-t', $json${"sessions": [
       {"conversation_id": "62000000-0000-0000-0000-0000000000c1", "title": "Old chat",
        "started_at": "2021-03-04T10:00:00Z", "ended_at": "2021-03-04T10:30:00Z", "metadata": {},
        "turns": [
          {"role": "user", "content": "I adopted a cat called Miso.", "created_at": "2021-03-04T10:01:00.123456Z", "metadata": {}},
          {"role": "assistant", "content": "Lovely!", "created_at": "2021-03-04T10:02:00Z", "metadata": {}}]},
       {"conversation_id": "62000000-0000-0000-0000-0000000000c2", "title": null,
        "started_at": "2021-03-05T09:00:00+02:00", "ended_at": "2021-03-05T09:10:00+02:00", "metadata": {},
        "turns": [
          {"role": "user", "content": "Miso broke a vase.", "created_at": "2021-03-05T09:05:00+02:00", "metadata": {}}]}
     ]}$json$::jsonb)),
  row('transcript', false, false)::text,
  'a transcript is stored as the caller');
select is(
  (select row(status, created_at, started_at, ended_at, message_count, last_message_at)::text
     from public.conversations where conversation_id = '62000000-0000-0000-0000-0000000000c1'),
  row('ended', '2021-03-04T10:00:00Z'::timestamptz, '2021-03-04T10:00:00Z'::timestamptz,
      '2021-03-04T10:30:00Z'::timestamptz, 2, '2021-03-04T10:02:00Z'::timestamptz)::text,
  'a session becomes an ended conversation at its own times, ready for ingestion');
select results_eq(
  $$select role, created_at from public.messages
    where conversation_id = '62000000-0000-0000-0000-0000000000c1' order by created_at$$,
  $$values ('user', '2021-03-04T10:01:00.123456Z'::timestamptz),
           ('assistant', '2021-03-04T10:02:00Z'::timestamptz)$$,
  'every turn keeps its speaker and its time, to the microsecond');
select is(
  (select row(kind, session_count, turn_count, memory_count, cardinality(conversation_ids))::text
     from public.imports where import_id = '62000000-0000-0000-0000-00000000aa01'),
  row('transcript', 2, 3, 0, 2)::text,
  'the owner reads their import with its counts');
select is(
  (select row(conversations, processed, processing, failed)::text
     from private.import_progress('62000000-0000-0000-0000-00000000aa01')),
  row(2, 0, 0, 0)::text,
  'progress counts the import''s conversations, none ingested yet');
select is(
  (select row(replayed, conflicting)::text from private.record_import(
     '62000000-0000-0000-0000-00000000aa01', 'transcript', 'hash-t', '{"sessions": []}'::jsonb)),
  row(true, false)::text,
  'the same import id again stores nothing and answers the first import');
select is(
  (select row(replayed, conflicting)::text from private.record_import(
     '62000000-0000-0000-0000-00000000aa01', 'transcript', 'hash-other', '{"sessions": []}'::jsonb)),
  row(true, true)::text,
  'the same id with other content is a conflict');
select is(
  (select count(*)::integer from public.conversations
    where user_id = '62000000-0000-0000-0000-0000000000a1'),
  2, 'a replay adds no conversation');

select is(
  (select row(kind, replayed)::text from private.record_import(
     '62000000-0000-0000-0000-00000000aa02', 'memories', 'hash-m', $json${"memories": [
       {"memory_id": "62000000-0000-0000-0000-0000000000d1", "memory_type": "memory", "title": "Bike",
        "content": "Got my first bike.", "occurred_at": "1998-06-01T12:00:00Z", "tags": ["childhood"]}
     ]}$json$::jsonb)),
  row('memories', false)::text,
  'a batch of memories is stored as the caller');
select is(
  (select row(occurred_at, creation_ts, tags)::text from public.memories
    where memory_id = '62000000-0000-0000-0000-0000000000d1'),
  row('1998-06-01T12:00:00Z'::timestamptz, '1998-06-01T12:00:00Z'::timestamptz, '{childhood}'::text[])::text,
  'an imported memory keeps when it happened');

select throws_ok(
  $$insert into public.imports (import_id, user_id, kind, request_hash)
    values (gen_random_uuid(), '62000000-0000-0000-0000-0000000000a1', 'memories', 'h')$$,
  '42501', null, 'the owner cannot insert an import directly');
select throws_ok(
  $$update public.imports set memory_count = 9$$,
  '42501', null, 'the owner cannot change an import directly');

-- As B: nothing of A's.
select set_config('request.jwt.claims',
  json_build_object('sub', '62000000-0000-0000-0000-0000000000b1', 'role', 'authenticated')::text, true);
select is_empty($$select 1 from public.imports$$, 'another user reads no import of A');
select is_empty($$select 1 from private.import_progress('62000000-0000-0000-0000-00000000aa01')$$,
  'another user reads no progress of A''s import');
select is(
  (select replayed from private.record_import(
     '62000000-0000-0000-0000-00000000aa02', 'memories', 'hash-b', '{"memories": []}'::jsonb)),
  false, 'another user''s import with the same id is an import of its own');

-- Without a user: refused.
select set_config('request.jwt.claims', '', true);
select throws_ok(
  $$select * from private.record_import(gen_random_uuid(), 'memories', 'h', '{"memories": []}'::jsonb)$$,
  '42501', null, 'a caller without a user id cannot import');

reset role;
set local role anon;
select throws_ok($$select 1 from public.imports$$, '42501', null, 'anon cannot read imports');
reset role;

-- Erasure removes the person's imports with them.
delete from auth.users where id = '62000000-0000-0000-0000-0000000000a1';
select is(
  (select count(*)::integer from public.imports where user_id = '62000000-0000-0000-0000-0000000000a1'),
  0, 'deleting the person removes their imports');

select * from finish();
rollback;
