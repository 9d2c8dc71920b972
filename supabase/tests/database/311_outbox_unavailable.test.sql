-- Settling a delivery the webhook refused as unavailable (503: its stores are down): retried
-- after its backoff with the attempt counted, never dead however many attempts it took; any
-- other failure out of attempts is dead as before.
begin;
create extension if not exists pgtap with schema extensions;
select plan(7);

insert into private.outbox (topic, event_type, schema_name, table_name, row_key, payload) values
  ('t311', 'UPDATE', 'public', 't311', 'unavailable',
   '{"type": "UPDATE", "table": "t311", "schema": "public", "record": {}, "old_record": {}}'),
  ('t311', 'UPDATE', 'public', 't311', 'failing',
   '{"type": "UPDATE", "table": "t311", "schema": "public", "record": {}, "old_record": {}}');
create temporary table t311_ids on commit drop as
  select row_key, outbox_id from private.outbox where table_name = 't311';

select is(private.settle_outbox_delivery((select outbox_id from t311_ids where row_key = 'unavailable'), false, 'HTTP 503', 30, false, 1, true),
          'pending', 'an unavailable webhook on the last allowed attempt leaves the change pending');
select is(private.settle_outbox_delivery((select outbox_id from t311_ids where row_key = 'unavailable'), false, 'HTTP 503', 30, false, 1, true),
          'pending', 'and again, past every attempt');
select is((select attempts from private.outbox where outbox_id = (select outbox_id from t311_ids where row_key = 'unavailable')),
          2, 'each try is counted, so the backoff keeps growing');
select ok((select next_attempt_at > now() + interval '29 seconds' from private.outbox
           where outbox_id = (select outbox_id from t311_ids where row_key = 'unavailable')),
          'and the change waits the backoff it was given');
select is(private.settle_outbox_delivery((select outbox_id from t311_ids where row_key = 'unavailable'), true, null, 0, false, 1, false),
          'delivered', 'once the webhook is back it is delivered');
select is(private.settle_outbox_delivery((select outbox_id from t311_ids where row_key = 'failing'), false, 'HTTP 500', 30, false, 1),
          'dead', 'another failure on the last allowed attempt is dead, as before');
select ok(not has_function_privilege('authenticated',
            'private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean)', 'execute'),
          'only the server settles deliveries');

select * from finish();
rollback;
