-- Internal tables (outbox, idempotency keys, job runs): their checks, the dispatcher's index,
-- and that no client role reaches them.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

insert into auth.users (id, email) values ('20600000-0000-0000-0000-0000000000a1', 'int-a@example.com');

select lives_ok(
  $$insert into private.outbox (topic, event_type, schema_name, table_name, payload)
    values ('memories', 'INSERT', 'public', 'memories',
            '{"type": "INSERT", "table": "memories", "schema": "public", "record": {"memory_id": 1}, "old_record": null}')$$,
  'a Supabase-webhook-shaped payload is accepted');
select throws_ok(
  $$insert into private.outbox (topic, event_type, schema_name, table_name, payload)
    values ('memories', 'INSERT', 'public', 'memories', '{"type": "INSERT", "table": "memories", "schema": "public", "record": {}}')$$,
  '23514', null, 'a payload without old_record is rejected');
select throws_ok(
  $$insert into private.outbox (topic, event_type, schema_name, table_name, payload)
    values ('memories', 'UPDATE', 'public', 'memories',
            '{"type": "INSERT", "table": "memories", "schema": "public", "record": {}, "old_record": null}')$$,
  '23514', null, 'a payload whose type disagrees with event_type is rejected');
select throws_ok(
  $$insert into private.outbox (topic, event_type, schema_name, table_name, payload, status)
    values ('m', 'DELETE', 'public', 'm', '{"type": "DELETE", "table": "m", "schema": "public", "record": null, "old_record": {}}', 'lost')$$,
  '23514', null, 'status outside pending/delivered/dead is rejected');
select throws_ok(
  $$insert into private.outbox (topic, event_type, schema_name, table_name, payload, status)
    values ('m', 'DELETE', 'public', 'm', '{"type": "DELETE", "table": "m", "schema": "public", "record": null, "old_record": {}}', 'delivered')$$,
  '23514', null, 'a delivered row needs delivered_at');
select throws_ok(
  $$insert into private.outbox (topic, event_type, schema_name, table_name, payload, attempts)
    values ('m', 'DELETE', 'public', 'm', '{"type": "DELETE", "table": "m", "schema": "public", "record": null, "old_record": {}}', -1)$$,
  '23514', null, 'negative attempts are rejected');
select is(
  (select pg_get_expr(indpred, indrelid) from pg_index where indexrelid = 'private.outbox_due_idx'::regclass),
  '(status = ''pending''::text)', 'the due-row index covers pending rows only');

select throws_ok(
  $$insert into private.idempotency_keys (user_id, idempotency_key, request_hash, response_status)
    values ('20600000-0000-0000-0000-0000000000a1', 'k1', 'h', 99)$$,
  '23514', null, 'a response status outside 100..599 is rejected');
select throws_ok(
  $$insert into private.idempotency_keys (user_id, idempotency_key, request_hash, created_at, expires_at)
    values ('20600000-0000-0000-0000-0000000000a1', 'k1', 'h', now(), now())$$,
  '23514', null, 'a key must expire after it was created');

select throws_ok(
  $$insert into private.job_runs (job_name, status) values ('j', 'succeeded')$$,
  '23514', null, 'a finished run needs finished_at');
select throws_ok(
  $$insert into private.job_runs (job_name, status, finished_at) values ('j', 'failed', clock_timestamp() + interval '1 second')$$,
  '23514', null, 'a failed run needs its error');
select throws_ok(
  $$insert into private.job_runs (job_name, status) values ('j', 'queued')$$,
  '23514', null, 'status outside running/succeeded/failed is rejected');

select is(
  (select count(*)::integer from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'private' and c.relname in ('outbox', 'idempotency_keys', 'job_runs')
     and c.relrowsecurity
     and not has_table_privilege('authenticated', c.oid, 'select, insert, update, delete')
     and not has_table_privilege('anon', c.oid, 'select, insert, update, delete')),
  3, 'the internal tables have RLS on and no grants for anon or authenticated');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20600000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);
select throws_ok($$select * from private.outbox$$, '42501', null, 'authenticated cannot read the outbox');
select throws_ok($$select * from private.idempotency_keys$$, '42501', null, 'authenticated cannot read idempotency keys');
select throws_ok($$select * from private.job_runs$$, '42501', null, 'authenticated cannot read job runs');
reset role;

select * from finish();
rollback;
