-- Every pg_cron schedule the migrations create, as one list: a job added, renamed or dropped
-- without this file changing fails here, so the schedule is always what the schema map says.
begin;
create extension if not exists pgtap with schema extensions;
select plan(2);

select results_eq(
  $$select jobname::text collate "C", schedule::text collate "C" from cron.job order by jobname$$,
  $$values
    ('anonymise-personas'::text collate "C", '45 3 * * *'::text collate "C"),
    ('archive-conversations', '0 2 * * *'),
    ('behaviour-event-partitions', '5 0 * * *'),
    ('close-inactive-conversations', '30 1 * * *'),
    ('decay-memory-importance', '30 3 * * *'),
    ('end-idle-conversations', '*/5 * * * *'),
    ('expire-challenges', '*/5 * * * *'),
    ('expire-memories', '0 3 * * *'),
    ('fail-abandoned-uploads', '25 * * * *'),
    ('purge-behaviour-events', '30 3 * * *'),
    ('purge-closed-suggestions', '40 3 * * *'),
    ('purge-cron-history', '50 3 * * *'),
    ('purge-delivered-outbox', '15 4 * * *'),
    ('purge-event-batches', '35 4 * * *'),
    ('purge-idempotency-keys', '20 * * * *'),
    ('purge-job-runs', '55 4 * * *'),
    ('purge-mirror-tombstones', '45 4 * * *'),
    ('purge-vector-item-changes', '*/10 * * * *'),
    ('refresh-engagement-summary', '7 * * * *')$$,
  'cron.job lists exactly the schedules the migrations create');

select is(
  (select coalesce(array_agg(jobname order by jobname), '{}') from cron.job
   where database <> 'postgres' or not active),
  '{}'::name[], 'every schedule is active and runs in the postgres database');

select * from finish();
rollback;
