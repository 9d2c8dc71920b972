-- The outbox triggers and the dispatcher's functions: every change to a mirrored table lands in
-- private.outbox in Supabase webhook shape (also when a client makes it), claims take the head
-- of each row's queue, settling retries or dead-letters, and the mirror ledger never goes back.
begin;
create extension if not exists pgtap with schema extensions;
select plan(46);

-- The trigger function and where it is attached.
select is((select prosecdef from pg_proc where oid = 'private.enqueue_change()'::regprocedure), true,
  'enqueue_change is security definer');
select is((select proconfig from pg_proc where oid = 'private.enqueue_change()'::regprocedure),
  array['search_path=""'], 'enqueue_change pins an empty search_path');
select has_trigger('public', t, t || '_to_outbox', t || ' changes go to the outbox')
from unnest(array['memories', 'concepts', 'messages', 'conversations', 'cards', 'growth_events',
                  'derived_artifacts', 'knowledge_entries', 'profiles']) as t;

insert into auth.users (id, email) values ('30000000-0000-0000-0000-0000000000a1', 'outbox-a@example.com');

-- A client's own insert, under row-level security, reaches the outbox through the trigger.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "30000000-0000-0000-0000-0000000000a1", "role": "authenticated"}', true);
insert into public.memories (memory_id, title, content)
values ('30000000-0000-0000-0000-00000000f001', 'Lisbon', 'Trams up the hill');
reset role;

select is(
  (select payload ->> 'type' from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001'),
  'INSERT', 'a client''s insert is in the outbox');
select is(
  (select array(select jsonb_object_keys(payload) order by 1) from private.outbox
   where row_key = '30000000-0000-0000-0000-00000000f001'),
  array['old_record', 'record', 'schema', 'table', 'type'], 'the payload has the Supabase webhook keys');
select is(
  (select payload -> 'record' ->> 'title' from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001'),
  'Lisbon', 'record is the new row');
select is(
  (select jsonb_typeof(payload -> 'old_record') from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001'),
  'null', 'an insert has no old_record');

update public.memories set title = 'Porto' where memory_id = '30000000-0000-0000-0000-00000000f001';
select is(
  (select payload -> 'old_record' ->> 'title' || ' -> ' || (payload -> 'record' ->> 'title')
   from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'UPDATE'),
  'Lisbon -> Porto', 'an update carries the old and the new row');

delete from public.memories where memory_id = '30000000-0000-0000-0000-00000000f001';
select is(
  (select jsonb_typeof(payload -> 'record') || ' / ' || (payload -> 'old_record' ->> 'title')
   from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'DELETE'),
  'null / Porto', 'a delete carries only the old row');
select is(
  (select count(*)::integer from private.outbox where table_name = 'profiles'
   and row_key = '30000000-0000-0000-0000-0000000000a1'),
  1, 'the sign-up trigger''s profile insert is in the outbox too');

-- Claims: due rows, the head of each row's queue only.
create temporary table claimed on commit drop as
  select outbox_id from private.claim_outbox(100000);
select is(
  (select count(*)::integer from claimed c join private.outbox o using (outbox_id)
   where o.row_key = '30000000-0000-0000-0000-00000000f001'),
  1, 'one change of a row is claimed at a time');
select is(
  (select o.event_type from claimed c join private.outbox o using (outbox_id)
   where o.row_key = '30000000-0000-0000-0000-00000000f001'),
  'INSERT', 'and it is the earliest');

-- Settling.
select is(
  private.settle_outbox_delivery(
    (select outbox_id from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'INSERT'),
    true, null, 0, false, 3),
  'delivered', 'a 2xx settles as delivered');
select isnt(
  (select delivered_at from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'INSERT'),
  null, 'delivered_at is stamped');
select is(
  private.settle_outbox_delivery(
    (select outbox_id from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'UPDATE'),
    false, 'HTTP 503', 30, false, 3),
  'pending', 'a transient failure stays pending');
select ok(
  (select next_attempt_at > now() + interval '29 seconds' from private.outbox
   where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'UPDATE'),
  'and waits the backoff it was given');
select is(
  (select last_error || ' / ' || attempts from private.outbox
   where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'UPDATE'),
  'HTTP 503 / 1', 'the error and the attempt are recorded');
select is(
  (select count(*)::integer from private.claim_outbox(100000) c
   where c.row_key = '30000000-0000-0000-0000-00000000f001'),
  0, 'a row waiting for its retry holds back its later changes');
select is(
  private.settle_outbox_delivery(
    (select outbox_id from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'UPDATE'),
    false, 'HTTP 503', 0, false, 2),
  'dead', 'the last allowed attempt failing is dead');
select is(
  private.settle_outbox_delivery(
    (select outbox_id from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'DELETE'),
    false, 'HTTP 400', 0, true, 10),
  'dead', 'a permanent failure is dead at once');
select is(
  (select attempts from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'DELETE'),
  1, 'after one attempt');

-- Redrive and status.
select is(
  private.redrive_outbox(array[(select outbox_id from private.outbox
    where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'DELETE')]),
  1, 'redrive by id revives one dead row');
select is(
  (select status || ' / ' || attempts from private.outbox
   where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'DELETE'),
  'pending / 0', 'with fresh attempts');
select ok(private.redrive_outbox(null) >= 1, 'redrive of all dead rows revives the rest');
select ok(
  (select events >= 1 from private.outbox_summary() where status = 'pending'),
  'the summary counts pending rows');

-- The mirror ledger only moves forward.
select is(private.record_mirrored_change('memories', 'k-300', 10, false), true, 'a first change is recorded');
select is(private.record_mirrored_change('memories', 'k-300', 10, false), false, 'the same version again is not');
select is(private.record_mirrored_change('memories', 'k-300', 9, false), false, 'nor an older one');
select is(private.record_mirrored_change('memories', 'k-300', 11, true), true, 'a newer delete is');
select is(
  (select version || ' / ' || deleted from private.mirrored_rows where table_name = 'memories' and row_key = 'k-300'),
  '11 / true', 'and leaves a tombstone');

-- Without pg_net (as here) the nudge does nothing, even with a URL configured.
select set_config('dotline.webhook_url', 'http://127.0.0.1:9/v1/internal/db-events', true);
select lives_ok($$select private.nudge_webhook('{"type": "INSERT"}')$$, 'the pg_net nudge is a no-op without pg_net');

-- Purging keeps what is recent, pending or dead.
update private.outbox set delivered_at = now() - interval '8 days'
where row_key = '30000000-0000-0000-0000-00000000f001' and event_type = 'INSERT';
select ok(private.purge_delivered_outbox() >= 1, 'delivered rows older than a week are purged');
select is(
  (select array_agg(event_type order by outbox_id) from private.outbox where row_key = '30000000-0000-0000-0000-00000000f001'),
  array['UPDATE', 'DELETE'], 'rows not delivered stay');
select is((select count(*)::integer from cron.job where jobname = 'purge-delivered-outbox'), 1,
  'the purge is scheduled');

-- Only the server reaches any of it.
select is(has_function_privilege('authenticated', 'private.claim_outbox(integer)', 'execute'), false,
  'authenticated cannot claim');
select is(has_function_privilege('anon', 'private.redrive_outbox(bigint[])', 'execute'), false,
  'anon cannot redrive');
select is(has_function_privilege('service_role', 'private.claim_outbox(integer)', 'execute'), true,
  'service_role can claim');
select is(has_table_privilege('authenticated', 'private.mirrored_rows', 'select'), false,
  'authenticated cannot read the ledger');

select * from finish();
rollback;
