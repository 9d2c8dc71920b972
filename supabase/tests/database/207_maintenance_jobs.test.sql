-- Scheduled jobs: cron lists every schedule, and each purge removes exactly the rows it should,
-- in bounded batches; run_job records what happened.
begin;
create extension if not exists pgtap with schema extensions;
select plan(18);

select is(
  (select array_agg(format('%s|%s|%s', jobname, schedule, database) order by jobname)
   from cron.job where jobname in (
      'refresh-engagement-summary', 'purge-behaviour-events',
      'purge-closed-suggestions', 'purge-idempotency-keys', 'purge-cron-history',
      'behaviour-event-partitions')),
  array['behaviour-event-partitions|5 0 * * *|postgres',
        'purge-behaviour-events|30 3 * * *|postgres',
        'purge-closed-suggestions|40 3 * * *|postgres',
        'purge-cron-history|50 3 * * *|postgres',
        'purge-idempotency-keys|20 * * * *|postgres',
        'refresh-engagement-summary|7 * * * *|postgres'],
  'cron.job lists every part-B schedule, in the postgres database');
select is(
  (select count(*)::integer from cron.job
   where jobname in ('refresh-engagement-summary', 'purge-behaviour-events',
                     'purge-closed-suggestions', 'purge-idempotency-keys', 'purge-cron-history',
                     'behaviour-event-partitions')
     and command not like format('select private.run_job(%L, ''select private.%%()'')', jobname)),
  0, 'every part-B schedule runs one private job function through private.run_job, under its own name');

insert into auth.users (id, email) values ('20700000-0000-0000-0000-0000000000a1', 'jobs-a@example.com');

-- behaviour events: two whole old months, rows just either side of the 2-year cutoff, one in the default partition
select is(private.ensure_behaviour_event_partitions(0, (now() - interval '26 months')::date), 26,
  'upkeep backfills a partition for every month since 26 months ago');
insert into public.behaviour_events (event_id, user_id, event_type, created_at) values
  ('20700000-0000-0000-0000-00000000e001', '20700000-0000-0000-0000-0000000000a1', 'view', now() - interval '25 months'),
  ('20700000-0000-0000-0000-00000000e002', '20700000-0000-0000-0000-0000000000a1', 'view', now() - interval '2 years 1 minute'),
  ('20700000-0000-0000-0000-00000000e003', '20700000-0000-0000-0000-0000000000a1', 'view', now() - interval '2 years' + interval '1 minute'),
  ('20700000-0000-0000-0000-00000000e004', '20700000-0000-0000-0000-0000000000a1', 'view', now()),
  ('20700000-0000-0000-0000-00000000e005', '20700000-0000-0000-0000-0000000000a1', 'view', now() - interval '40 months');
select is((select count(*)::integer from private.behaviour_events_default), 1, 'the oldest row sits in the default partition');

select is(private.purge_behaviour_events(interval '2 years', 1, 1),
  '{"partitions_dropped": 2, "rows_deleted": 1}'::jsonb,
  'purge drops the two whole months past the cutoff and deletes at most one batch of one row');
select is(private.purge_behaviour_events(interval '2 years', 1, 100),
  '{"partitions_dropped": 0, "rows_deleted": 1}'::jsonb, 'the next run deletes the remaining old row');
select results_eq(
  $$select event_id from public.behaviour_events where user_id = '20700000-0000-0000-0000-0000000000a1' order by created_at$$,
  $$values ('20700000-0000-0000-0000-00000000e003'::uuid), ('20700000-0000-0000-0000-00000000e004'::uuid)$$,
  'exactly the events younger than two years remain');
select ok(to_regclass(format('private.behaviour_events_p%s', to_char(now() - interval '26 months', 'YYYY_MM'))) is null,
  'the dropped month partition is gone');

-- suggestions: only acted-upon or dismissed ones older than a year go
insert into public.suggestions (suggestion_id, user_id, suggestion_type, is_dismissed, is_acted_upon, created_at) values
  ('20700000-0000-0000-0000-00000000a001', '20700000-0000-0000-0000-0000000000a1', 't', true, false, now() - interval '13 months'),
  ('20700000-0000-0000-0000-00000000a002', '20700000-0000-0000-0000-0000000000a1', 't', false, true, now() - interval '13 months'),
  ('20700000-0000-0000-0000-00000000a003', '20700000-0000-0000-0000-0000000000a1', 't', false, false, now() - interval '13 months'),
  ('20700000-0000-0000-0000-00000000a004', '20700000-0000-0000-0000-0000000000a1', 't', true, true, now() - interval '11 months');
select is(private.purge_closed_suggestions(), '{"rows_deleted": 2}'::jsonb, 'two closed suggestions older than a year are purged');
select results_eq(
  $$select suggestion_id from public.suggestions where user_id = '20700000-0000-0000-0000-0000000000a1' order by suggestion_id$$,
  $$values ('20700000-0000-0000-0000-00000000a003'::uuid), ('20700000-0000-0000-0000-00000000a004'::uuid)$$,
  'open and recent suggestions stay');

-- idempotency keys: expired ones go
insert into private.idempotency_keys (user_id, idempotency_key, request_hash, created_at, expires_at) values
  ('20700000-0000-0000-0000-0000000000a1', 'old', 'h', now() - interval '2 days', now() - interval '1 day'),
  ('20700000-0000-0000-0000-0000000000a1', 'new', 'h', now(), now() + interval '1 day');
select is(private.purge_expired_idempotency_keys(), '{"rows_deleted": 1}'::jsonb, 'one expired key is purged');
select results_eq($$select idempotency_key from private.idempotency_keys where user_id = '20700000-0000-0000-0000-0000000000a1'$$,
  $$values ('new'::text)$$, 'the live key stays');

-- pg_cron history: a week is kept
insert into cron.job_run_details (jobid, runid, command, status, start_time, end_time) values
  (1, -20700001, 'select 1', 'succeeded', now() - interval '8 days', now() - interval '8 days'),
  (1, -20700002, 'select 1', 'succeeded', now() - interval '10 days', null),
  (1, -20700003, 'select 1', 'succeeded', now() - interval '6 days', now() - interval '6 days');
select is((private.purge_cron_history() ->> 'rows_deleted')::integer >= 2, true, 'cron history older than a week is purged');
select results_eq($$select runid from cron.job_run_details where runid between -20700003 and -20700001$$,
  $$values (-20700003::bigint)$$, 'the last week of cron history stays');

-- run_job records successes and failures
select is(private.run_job('test-purge-suggestions', 'select private.purge_closed_suggestions()'),
  '{"rows_deleted": 0}'::jsonb, 'run_job returns the job''s counts');
select results_eq(
  $$select status, counts from private.job_runs where job_name = 'test-purge-suggestions'$$,
  $$values ('succeeded'::text, '{"rows_deleted": 0}'::jsonb)$$, 'run_job records a succeeded run with its counts');
select is(private.run_job('test-failing', 'select 1/0'), null, 'a failing job does not raise');
select results_eq(
  $$select status, error from private.job_runs where job_name = 'test-failing'$$,
  $$values ('failed'::text, 'division by zero'::text)$$, 'run_job records the failure and its error');

select * from finish();
rollback;
