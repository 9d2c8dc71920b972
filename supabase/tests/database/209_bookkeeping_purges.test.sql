-- The bookkeeping purges: job runs after 90 days, mirror tombstones after 30 days once no
-- undelivered change of the row is left, event batches after their 30-day replay window; each in
-- batches, oldest first, by pg_cron through the batched-job command, and only by the server.
begin;
create extension if not exists pgtap with schema extensions;
select plan(17);

-- Job runs.
insert into private.job_runs (job_name, status, started_at, finished_at, error) values
  ('t209-oldest', 'succeeded', now() - interval '200 days', now() - interval '200 days', null),
  ('t209-old', 'failed', now() - interval '91 days', now() - interval '91 days', 'boom'),
  ('t209-crashed', 'running', now() - interval '120 days', null, null),
  ('t209-recent', 'succeeded', now() - interval '89 days', now() - interval '89 days', null);
select is(private.purge_job_runs_batch(1), 1, 'a batch deletes at most batch_size runs');
select is((select array_agg(job_name order by job_name) from private.job_runs where job_name like 't209-%'),
          array['t209-crashed', 't209-old', 't209-recent'], 'the oldest run goes first');
select is(private.purge_job_runs_batch(1000), 2, 'the next batch takes every other run past 90 days, finished or not');
select is((select array_agg(job_name) from private.job_runs where job_name like 't209-%'),
          array['t209-recent'], 'a run younger than 90 days stays');
select is(private.purge_job_runs_batch(1000), 0, 'a batch with nothing left finds nothing');

-- Mirror tombstones.
insert into private.mirrored_rows (table_name, row_key, version, deleted, applied_at) values
  ('t209', 'gone', 10, true, now() - interval '40 days'),
  ('t209', 'pending-change', 11, true, now() - interval '40 days'),
  ('t209', 'dead-change', 12, true, now() - interval '40 days'),
  ('t209', 'recent', 13, true, now() - interval '29 days'),
  ('t209', 'live', 14, false, now() - interval '400 days');
insert into private.outbox (topic, event_type, schema_name, table_name, row_key, payload, status) values
  ('t209', 'UPDATE', 'public', 't209', 'pending-change',
   '{"type": "UPDATE", "table": "t209", "schema": "public", "record": {}, "old_record": {}}', 'pending'),
  ('t209', 'UPDATE', 'public', 't209', 'dead-change',
   '{"type": "UPDATE", "table": "t209", "schema": "public", "record": {}, "old_record": {}}', 'dead');
select is(private.purge_mirror_tombstones_batch(1000), 1, 'one tombstone is old and free to go');
select is((select array_agg(row_key order by row_key) from private.mirrored_rows where table_name = 't209'),
          array['dead-change', 'live', 'pending-change', 'recent'],
          'kept: the tombstones of rows with a pending or dead change, a recent one, and every live row');
update private.outbox set status = 'delivered', delivered_at = now() where table_name = 't209';
select is(private.purge_mirror_tombstones_batch(1000), 2, 'once their changes are delivered, their tombstones go too');
select is((select array_agg(row_key order by row_key) from private.mirrored_rows where table_name = 't209'),
          array['live', 'recent'], 'the recent tombstone and the live row stay');

-- Event batches: a batch_id is remembered for 30 days.
insert into auth.users (id, email) values ('20900000-0000-4000-8000-0000000000a1', 't209@example.com');
insert into private.event_batches (user_id, batch_id, request_hash, event_count, received_at) values
  ('20900000-0000-4000-8000-0000000000a1', '20900000-0000-4000-8000-0000000000b1', 'h', 1, now() - interval '31 days'),
  ('20900000-0000-4000-8000-0000000000a1', '20900000-0000-4000-8000-0000000000b2', 'h', 1, now() - interval '29 days');
select is(private.purge_event_batches_batch(1000), 1, 'the batch received over 30 days ago is forgotten');
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "20900000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select results_eq(
  $$select b.replayed from private.record_event_batch('20900000-0000-4000-8000-0000000000b2', '[{"action_type": "view"}]') b$$,
  array[true], 'within the window, the same batch_id is a replay');
select results_eq(
  $$select b.replayed from private.record_event_batch('20900000-0000-4000-8000-0000000000b1', '[{"action_type": "view"}]') b$$,
  array[false], 'past the window, the same batch_id is a new batch');
reset role;

-- Only the server purges.
select ok(not has_function_privilege('authenticated', 'private.purge_job_runs_batch(integer, interval)', 'execute')
          and not has_function_privilege('authenticated', 'private.purge_mirror_tombstones_batch(integer, interval)', 'execute')
          and not has_function_privilege('authenticated', 'private.purge_event_batches_batch(integer, interval)', 'execute')
          and not has_function_privilege('anon', 'private.purge_event_batches_batch(integer, interval)', 'execute'),
          'signed-in people and anonymous callers cannot run the purges');
select ok(has_function_privilege('service_role', 'private.purge_mirror_tombstones_batch(integer, interval)', 'execute'),
          'service_role can');

-- Schedules.
select is((select jsonb_object_agg(jobname, schedule) from cron.job
           where jobname in ('purge-job-runs', 'purge-mirror-tombstones', 'purge-event-batches')),
          '{"purge-event-batches": "35 4 * * *", "purge-mirror-tombstones": "45 4 * * *", "purge-job-runs": "55 4 * * *"}'::jsonb,
          'the purges run nightly, after the retention run and the outbox purge');
select is((select count(*)::integer from cron.job
           where jobname in ('purge-job-runs', 'purge-mirror-tombstones', 'purge-event-batches')
             and command = private.batched_job_command(
               jobname, format('select n, case when n > 0 then '''' end from private.%s_batch(1000) as n',
                               replace(jobname, '-', '_')))),
          3, 'each runs its batch function through the batched-job command, 1,000 rows a batch');
select is((select count(*)::integer from cron.job where command like 'do $job$%' and command like '%commit;%'),
          8, 'eight batched jobs commit after every batch');

select * from finish();
rollback;
