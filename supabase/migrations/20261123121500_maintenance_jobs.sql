-- Scheduled upkeep of part B's tables, by pg_cron (design decision 5): materialized view refresh,
-- retention (behaviour events after 2 years, closed suggestions after 1 year, expired idempotency
-- keys, pg_cron's own history after 7 days) and behaviour_events partition upkeep. Each job is a
-- SQL function returning jsonb counts, callable by hand (`select private.purge_behaviour_events();`)
-- and run by cron through private.run_job(), which records it in private.job_runs. Deletes go in
-- batches, each function call is capped (p_batch_size × p_max_batches rows) and waits for locks at
-- most lock_timeout, so no run holds locks for long; the next run continues. Schedules are GMT
-- (pg_cron's clock). pg_cron lives only in the database named in cron.database_name (postgres).

create extension if not exists pg_cron;

-- Refreshes the materialized 90-day engagement summary without blocking readers.
create or replace function private.refresh_engagement_summary() returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
begin
  refresh materialized view concurrently private.mv_user_engagement_summary;
  return jsonb_build_object('rows', (select count(*) from private.mv_user_engagement_summary));
end;
$$;
comment on function private.refresh_engagement_summary() is
  'Job: refreshes private.mv_user_engagement_summary concurrently; returns its row count.';

-- Retention for behaviour events (Dreamscape: keep 2 years). Whole monthly partitions older than
-- the cutoff are dropped (a brief lock on the parent); older rows left in the boundary or default
-- partition are deleted in batches.
create or replace function private.purge_behaviour_events(
  p_older_than interval default interval '2 years',
  p_batch_size integer default 10000,
  p_max_batches integer default 100
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_cutoff timestamptz := now() - p_older_than;
  v_partition record;
  v_dropped integer := 0;
  v_deleted bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  for v_partition in
    select c.relname
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where i.inhparent = 'public.behaviour_events'::regclass
      and n.nspname = 'private'
      and c.relname ~ '^behaviour_events_p[0-9]{4}_[0-9]{2}$'
      and (to_date(substr(c.relname, 19), 'YYYY_MM') + interval '1 month')::timestamp at time zone 'UTC'
          <= v_cutoff
    order by c.relname
  loop
    execute format('drop table private.%I', v_partition.relname);
    v_dropped := v_dropped + 1;
  end loop;

  loop
    exit when v_batches >= p_max_batches;
    delete from public.behaviour_events b
    using (
      select e.event_id, e.created_at
      from public.behaviour_events e
      where e.created_at < v_cutoff
      limit p_batch_size
    ) old
    where b.event_id = old.event_id and b.created_at = old.created_at;
    get diagnostics v_batch = row_count;
    v_deleted := v_deleted + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;

  return jsonb_build_object('partitions_dropped', v_dropped, 'rows_deleted', v_deleted);
end;
$$;
comment on function private.purge_behaviour_events(interval, integer, integer) is
  'Job: drops behaviour_events partitions and deletes rows older than p_older_than (default 2 years).';

-- Retention for suggestions (Dreamscape: acted-upon or dismissed ones go after 1 year).
create or replace function private.purge_closed_suggestions(
  p_older_than interval default interval '1 year',
  p_batch_size integer default 10000,
  p_max_batches integer default 100
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_deleted bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    delete from public.suggestions s
    where s.suggestion_id in (
      select c.suggestion_id
      from public.suggestions c
      where c.created_at < now() - p_older_than
        and (c.is_acted_upon or c.is_dismissed)
      limit p_batch_size
    );
    get diagnostics v_batch = row_count;
    v_deleted := v_deleted + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('rows_deleted', v_deleted);
end;
$$;
comment on function private.purge_closed_suggestions(interval, integer, integer) is
  'Job: deletes acted-upon or dismissed suggestions created more than p_older_than ago (default 1 year).';

-- Retention for idempotency keys: gone once expired.
create or replace function private.purge_expired_idempotency_keys(
  p_batch_size integer default 10000,
  p_max_batches integer default 100
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_deleted bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    delete from private.idempotency_keys k
    using (
      select e.user_id, e.idempotency_key
      from private.idempotency_keys e
      where e.expires_at < now()
      limit p_batch_size
    ) old
    where k.user_id = old.user_id and k.idempotency_key = old.idempotency_key;
    get diagnostics v_batch = row_count;
    v_deleted := v_deleted + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('rows_deleted', v_deleted);
end;
$$;
comment on function private.purge_expired_idempotency_keys(integer, integer) is
  'Job: deletes idempotency keys past expires_at.';

-- pg_cron keeps a row per run forever; keep a week.
create or replace function private.purge_cron_history(
  p_older_than interval default interval '7 days',
  p_batch_size integer default 10000,
  p_max_batches integer default 100
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_deleted bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    delete from cron.job_run_details d
    where d.runid in (
      select o.runid
      from cron.job_run_details o
      where coalesce(o.end_time, o.start_time) < now() - p_older_than
      limit p_batch_size
    );
    get diagnostics v_batch = row_count;
    v_deleted := v_deleted + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('rows_deleted', v_deleted);
end;
$$;
comment on function private.purge_cron_history(interval, integer, integer) is
  'Job: deletes cron.job_run_details rows older than p_older_than (default 7 days).';

-- Partition upkeep as a job: keeps behaviour_events partitions p_months_ahead months ahead.
create or replace function private.maintain_behaviour_event_partitions(p_months_ahead integer default 3)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select jsonb_build_object('partitions_created', private.ensure_behaviour_event_partitions(p_months_ahead))
$$;
comment on function private.maintain_behaviour_event_partitions(integer) is
  'Job: creates missing behaviour_events partitions up to p_months_ahead months ahead.';

do $$
declare
  v_function text;
begin
  foreach v_function in array array[
    'private.refresh_engagement_summary()',
    'private.purge_behaviour_events(interval, integer, integer)',
    'private.purge_closed_suggestions(interval, integer, integer)',
    'private.purge_expired_idempotency_keys(integer, integer)',
    'private.purge_cron_history(interval, integer, integer)',
    'private.maintain_behaviour_event_partitions(integer)'
  ] loop
    execute format('revoke all on function %s from public, anon, authenticated', v_function);
    execute format('grant execute on function %s to service_role', v_function);
  end loop;
end
$$;

-- The schedules (GMT). cron.schedule() with a job name replaces an existing job of that name, so
-- re-applying this migration changes nothing.
-- One name per job, used by cron.job and private.job_runs alike.
do $$
declare
  v_job record;
begin
  for v_job in
    select * from (values
      ('refresh-engagement-summary', '7 * * * *', 'select private.refresh_engagement_summary()'),
      ('purge-behaviour-events', '30 3 * * *', 'select private.purge_behaviour_events()'),
      ('purge-closed-suggestions', '40 3 * * *', 'select private.purge_closed_suggestions()'),
      ('purge-idempotency-keys', '20 * * * *', 'select private.purge_expired_idempotency_keys()'),
      ('purge-cron-history', '50 3 * * *', 'select private.purge_cron_history()'),
      ('behaviour-event-partitions', '5 0 * * *', 'select private.maintain_behaviour_event_partitions()')
    ) as jobs (job_name, schedule, statement)
  loop
    perform cron.schedule(
      v_job.job_name,
      v_job.schedule,
      format('select private.run_job(%L, %L)', v_job.job_name, v_job.statement)
    );
  end loop;
end
$$;
