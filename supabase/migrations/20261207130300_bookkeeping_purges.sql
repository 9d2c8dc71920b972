-- Purges of the bookkeeping tables that otherwise grow without bound: the job run history, the
-- mirror ledger's tombstones and the event batch idempotency records. Each is a batch function
-- (one bounded delete, oldest first, skipping locked rows) run by pg_cron through
-- private.batched_job_command (20261207130200_batched_job_commands.sql): a commit after every
-- batch, until a batch finds nothing. Windows, each a parameter with its default here:
--   job runs            90 days after they started (operators read the recent runs);
--   mirror tombstones   30 days after the delete was applied, and only once no undelivered
--                       (pending or dead) outbox change of that row is left: the outbox is where
--                       a late delivery comes from (retries end within the hour; a dead change
--                       can be redriven any time), and delivered outbox rows are purged after 7
--                       days, so no delivery of an older change can meet a row without its
--                       tombstone and bring it back into the graph or the vectors;
--   event batches       30 days after they were received: the replay window of POST /v1/events.
--                       A batch_id sent again within it gets the first receipt back; after it,
--                       the same id is a new batch and its events are stored again.
-- Schedules in GMT, after the retention run (04:00, which writes tombstones) and the outbox purge
-- (04:15).

create index if not exists job_runs_started_at_idx on private.job_runs (started_at);
create index if not exists mirrored_rows_tombstone_applied_at_idx
  on private.mirrored_rows (applied_at) where deleted;
-- The tombstone purge asks whether a row still has a dead change; pending ones have
-- outbox_pending_row_idx.
create index if not exists outbox_dead_row_idx on private.outbox (table_name, row_key)
  where status = 'dead';

create or replace function private.purge_job_runs_batch(
  batch_size integer default 1000,
  older_than interval default interval '90 days'
) returns integer
language sql
set search_path = ''
as $$
  with batch as (
    select r.job_run_id
    from private.job_runs r
    where r.started_at < now() - older_than
    order by r.started_at
    limit batch_size
    for update skip locked
  ),
  gone as (
    delete from private.job_runs r using batch b
    where r.job_run_id = b.job_run_id
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function private.purge_job_runs_batch(integer, interval) is
  'One purge batch: deletes up to batch_size job runs started more than older_than ago (default 90 days), oldest first; returns how many.';

create or replace function private.purge_mirror_tombstones_batch(
  batch_size integer default 1000,
  older_than interval default interval '30 days'
) returns integer
language sql
set search_path = ''
as $$
  with batch as (
    select m.table_name, m.row_key
    from private.mirrored_rows m
    where m.deleted
      and m.applied_at < now() - older_than
      and not exists (
        select 1 from private.outbox o
        where o.status = 'pending' and o.table_name = m.table_name and o.row_key = m.row_key
      )
      and not exists (
        select 1 from private.outbox o
        where o.status = 'dead' and o.table_name = m.table_name and o.row_key = m.row_key
      )
    order by m.applied_at
    limit batch_size
    for update of m skip locked
  ),
  gone as (
    delete from private.mirrored_rows m using batch b
    where m.table_name = b.table_name and m.row_key = b.row_key and m.deleted
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function private.purge_mirror_tombstones_batch(integer, interval) is
  'One purge batch: deletes up to batch_size mirror-ledger tombstones applied more than older_than ago (default 30 days) whose row has no pending or dead outbox change; returns how many.';

create or replace function private.purge_event_batches_batch(
  batch_size integer default 1000,
  older_than interval default interval '30 days'
) returns integer
language sql
set search_path = ''
as $$
  with batch as (
    select b.user_id, b.batch_id
    from private.event_batches b
    where b.received_at < now() - older_than
    order by b.received_at
    limit batch_size
    for update skip locked
  ),
  gone as (
    delete from private.event_batches e using batch b
    where e.user_id = b.user_id and e.batch_id = b.batch_id
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function private.purge_event_batches_batch(integer, interval) is
  'One purge batch: forgets up to batch_size event batches received more than older_than ago (default 30 days, the batch_id replay window), oldest first; returns how many.';

revoke all on function private.purge_job_runs_batch(integer, interval) from public, anon, authenticated;
revoke all on function private.purge_mirror_tombstones_batch(integer, interval) from public, anon, authenticated;
revoke all on function private.purge_event_batches_batch(integer, interval) from public, anon, authenticated;
grant execute on function private.purge_job_runs_batch(integer, interval) to service_role;
grant execute on function private.purge_mirror_tombstones_batch(integer, interval) to service_role;
grant execute on function private.purge_event_batches_batch(integer, interval) to service_role;

do $$
declare
  v_job record;
begin
  for v_job in
    select * from (values
      ('purge-event-batches', '35 4 * * *',
       'select n, case when n > 0 then '''' end from private.purge_event_batches_batch(1000) as n'),
      ('purge-mirror-tombstones', '45 4 * * *',
       'select n, case when n > 0 then '''' end from private.purge_mirror_tombstones_batch(1000) as n'),
      ('purge-job-runs', '55 4 * * *',
       'select n, case when n > 0 then '''' end from private.purge_job_runs_batch(1000) as n')
    ) as jobs (job_name, schedule, step)
  loop
    perform cron.schedule(v_job.job_name, v_job.schedule, private.batched_job_command(v_job.job_name, v_job.step));
  end loop;
end
$$;
