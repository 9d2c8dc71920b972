-- Event batches and client time: a batch id is claimed once per user (a replay gets the first
-- claim back), the claims are unreachable directly, and occurred_at is the client's to set while
-- created_at stays the server's.
begin;
create extension if not exists pgtap with schema extensions;
select plan(15);

insert into auth.users (id, email) values
  ('41000000-0000-0000-0000-0000000000a1', 'eb-a@example.com'),
  ('41000000-0000-0000-0000-0000000000b1', 'eb-b@example.com');

select ok((select relrowsecurity from pg_class where oid = 'private.event_batches'::regclass),
  'event_batches has row-level security on');
select ok(has_column_privilege('authenticated', 'public.behaviour_events', 'occurred_at', 'INSERT'),
  'clients may set occurred_at');
select ok(not has_column_privilege('authenticated', 'public.behaviour_events', 'created_at', 'INSERT'),
  'clients still may not set created_at');
select ok(not has_function_privilege('anon', 'private.claim_event_batch(uuid, integer, text)', 'EXECUTE'),
  'anon cannot claim batches');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '41000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select is(
  (select row(batch_event_count, batch_request_hash, replayed)::text
     from private.claim_event_batch('41000000-0000-0000-0000-00000000ba01', 3, 'hash-1')),
  row(3, 'hash-1', false)::text,
  'the first claim of a batch id is new');
select is(
  (select row(batch_event_count, batch_request_hash, replayed)::text
     from private.claim_event_batch('41000000-0000-0000-0000-00000000ba01', 9, 'hash-2')),
  row(3, 'hash-1', true)::text,
  'a second claim returns the first, replayed');
select throws_ok(
  $$select count(*) from private.event_batches$$,
  '42501', null, 'claims cannot be read directly');
select throws_ok(
  $$insert into private.event_batches (user_id, batch_id, request_hash, event_count)
    values ('41000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'h', 1)$$,
  '42501', null, 'claims cannot be written directly');

select lives_ok(
  $$insert into public.behaviour_events (user_id, event_type, occurred_at)
    values ('41000000-0000-0000-0000-0000000000a1', 'view', now() - interval '1 day')$$,
  'a person logs when their event happened');

select set_config('request.jwt.claims',
  json_build_object('sub', '41000000-0000-0000-0000-0000000000b1', 'role', 'authenticated')::text, true);
select is(
  (select replayed from private.claim_event_batch('41000000-0000-0000-0000-00000000ba01', 1, 'hash-b')),
  false,
  'another user''s batch with the same id is a batch of its own');

select set_config('request.jwt.claims', '', true);
select throws_ok(
  $$select * from private.claim_event_batch(gen_random_uuid(), 1, 'h')$$,
  '42501', null, 'a caller without a user id cannot claim');

reset role;
select is(
  (select count(*)::integer from private.event_batches
    where batch_id = '41000000-0000-0000-0000-00000000ba01'),
  2, 'one claim per user and batch id');
select throws_ok(
  $$insert into private.event_batches (user_id, batch_id, request_hash, event_count)
    values ('41000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'h', 1001)$$,
  '23514', null, 'a batch holds at most 1,000 events');

-- A month created after this migration carries the column.
select lives_ok($$select private.ensure_behaviour_event_partitions(0, '2031-01-01')$$,
  'a month far ahead is created');
select is(
  (select atttypid::regtype::text from pg_attribute
    where attrelid = 'private.behaviour_events_p2031_01'::regclass and attname = 'occurred_at'),
  'timestamp with time zone', 'new partitions carry occurred_at');

select * from finish();
rollback;
