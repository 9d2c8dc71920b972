-- Challenge expiry: active challenges past their due date become `expired` (the state the
-- challenges table allows but nothing set). A pg_cron job runs it every 5 minutes through
-- private.run_job(), which records each run in private.job_runs; it is callable by hand
-- (`select private.expire_overdue_challenges();`). Updates go in batches that skip rows another
-- transaction holds (a completion in flight wins), capped per call; the next run continues.

create extension if not exists pg_cron;

-- Marks overdue active challenges expired, p_batch_size rows at a time, at most p_max_batches.
create or replace function private.expire_overdue_challenges(
  p_batch_size integer default 1000,
  p_max_batches integer default 100
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_expired bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    -- A materialized CTE locks the batch once; `where id in (select ... limit n for update)`
    -- may be rescanned by the planner and update more than n rows.
    with batch as materialized (
      select o.user_challenge_id
      from public.user_challenges o
      where o.status = 'active' and o.due_at <= now()
      order by o.due_at
      limit p_batch_size
      for update skip locked
    )
    update public.user_challenges c
    set status = 'expired'
    from batch
    where c.user_challenge_id = batch.user_challenge_id;
    get diagnostics v_batch = row_count;
    v_expired := v_expired + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('rows_expired', v_expired);
end;
$$;
comment on function private.expire_overdue_challenges(integer, integer) is
  'Job: sets active user_challenges past due_at to expired, in batches; returns {"rows_expired": n}.';
revoke all on function private.expire_overdue_challenges(integer, integer) from public, anon, authenticated;
grant execute on function private.expire_overdue_challenges(integer, integer) to service_role;

-- cron.schedule() with a job name replaces the job of that name: re-applying changes nothing.
select cron.schedule(
  'expire-challenges',
  '*/5 * * * *',
  $cmd$select private.run_job('expire-challenges', 'select private.expire_overdue_challenges()')$cmd$
);
