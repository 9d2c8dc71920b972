-- Job runs: one row per run of a scheduled job (pg_cron or a scheduled function), with what it
-- changed, so operators see what retention and upkeep actually did. private.run_job() wraps a
-- job's SQL function and records it here. Internal: private schema, service_role only.

create table if not exists private.job_runs (
  job_run_id bigint generated always as identity primary key,
  job_name text not null,
  status text not null default 'running',
  started_at timestamptz not null default clock_timestamp(),
  finished_at timestamptz,
  counts jsonb not null default '{}'::jsonb,
  error text,
  constraint job_runs_job_name_length check (char_length(job_name) between 1 and 128),
  constraint job_runs_status_valid check (status in ('running', 'succeeded', 'failed')),
  constraint job_runs_finished_after_start check (finished_at is null or finished_at >= started_at),
  constraint job_runs_finished_at_iff_done check ((status = 'running') = (finished_at is null)),
  constraint job_runs_error_iff_failed check ((status = 'failed') = (error is not null)),
  constraint job_runs_counts_object check (jsonb_typeof(counts) = 'object')
);
comment on table private.job_runs is
  'History of scheduled job runs: name, timing, status, per-job counts and error.';

alter table private.job_runs enable row level security;

create index if not exists job_runs_job_name_started_at_idx on private.job_runs (job_name, started_at desc);

revoke all on table private.job_runs from public, anon, authenticated;
grant all on table private.job_runs to service_role;

-- Runs one job function (a statement returning jsonb counts) and records the run. A failing job
-- is recorded as failed with its error (its own changes roll back) and reported as a warning, so
-- the record survives; the counts are returned.
-- Security invoker: it runs the statement with the caller's rights (cron: the job owner).
create or replace function private.run_job(p_job_name text, p_statement text) returns jsonb
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_run_id bigint;
  v_counts jsonb;
  v_error text;
begin
  insert into private.job_runs (job_name) values (p_job_name) returning job_run_id into v_run_id;
  begin
    execute p_statement into v_counts;
  exception when others then
    get stacked diagnostics v_error = message_text;
    update private.job_runs
    set status = 'failed', finished_at = clock_timestamp(), error = v_error
    where job_run_id = v_run_id;
    raise warning 'job % failed: %', p_job_name, v_error;
    return null;
  end;
  update private.job_runs
  set status = 'succeeded', finished_at = clock_timestamp(), counts = coalesce(v_counts, '{}'::jsonb)
  where job_run_id = v_run_id;
  return coalesce(v_counts, '{}'::jsonb);
end;
$$;
comment on function private.run_job(text, text) is
  'Runs a job statement (returning jsonb counts) and records it in private.job_runs; failures are recorded, not raised.';
revoke all on function private.run_job(text, text) from public, anon, authenticated;
grant execute on function private.run_job(text, text) to service_role;
