-- Batched jobs without procedures. A job that commits after each batch (so no row lock outlives
-- its batch) cannot be a procedure with `set search_path`: Postgres forbids transaction control
-- in a procedure that carries a SET clause, and Supabase's linter flags every routine without
-- one (function_search_path_mutable). So the loop lives in the job's pg_cron command, a DO
-- block (run at top level, as pg_cron runs every command, it may commit), and each batch is a
-- function with its search_path fixed. One template writes every such command:
-- private.batched_job_command(). The four memory jobs of 20261123118000_memory_jobs.sql move to
-- it and their procedures go; schedules and batch sizes are unchanged.
--
-- Run a job by hand as pg_cron does, from psql:
--   select command from cron.job where jobname = 'expire-memories' \gexec

-- A step is a query over `v_after` (text, null on the first batch) returning one row
-- (processed, after): rows changed, and where the next batch starts, null when the job is done.
create or replace function private.batched_job_command(p_job_name text, p_step text)
returns text
language sql
immutable
set search_path = ''
as $fn$
  select format($command$do $job$
declare
  v_processed integer;
  v_after text;
  v_batches integer := 0;
  v_started timestamptz;
begin
  loop
    v_started := clock_timestamp();
    select s.processed, s.after into v_processed, v_after from (%s) as s (processed, after);
    commit;
    v_batches := v_batches + 1;
    raise notice '%% batch %%: %% rows, %% ms', %L, v_batches, v_processed,
      round(extract(epoch from clock_timestamp() - v_started)::numeric * 1000, 3);
    exit when v_after is null;
  end loop;
end
$job$$command$, p_step, p_job_name)
$fn$;
comment on function private.batched_job_command(text, text) is
  'The pg_cron command of a batched job: a DO block running p_step until its `after` is null, committing after each batch and raising a NOTICE per batch.';
revoke all on function private.batched_job_command(text, text) from public, anon, authenticated;
grant execute on function private.batched_job_command(text, text) to service_role;

-- The memory jobs: a keyset batch goes on after the last key it scanned; expiry deletes what it
-- finds until a batch finds nothing.
do $$
declare
  v_job record;
begin
  for v_job in
    select * from (values
      ('close-inactive-conversations', '30 1 * * *',
       'select b.processed, b.last_conversation_id::text from private.close_inactive_conversations_batch(1000, v_after::uuid) as b'),
      ('archive-conversations', '0 2 * * *',
       'select b.processed, b.last_conversation_id::text from private.archive_old_conversations_batch(200, v_after::uuid) as b'),
      ('expire-memories', '0 3 * * *',
       'select n, case when n > 0 then '''' end from private.expire_memories_batch(1000) as n'),
      ('decay-memory-importance', '30 3 * * *',
       'select b.processed, b.last_memory_id::text from private.decay_memory_importance_batch(1000, v_after::uuid) as b')
    ) as jobs (job_name, schedule, step)
  loop
    perform cron.schedule(v_job.job_name, v_job.schedule, private.batched_job_command(v_job.job_name, v_job.step));
  end loop;
end
$$;

drop procedure if exists private.expire_memories(integer, bigint, integer, numeric);
drop procedure if exists private.decay_memory_importance(integer, bigint, integer, numeric);
drop procedure if exists private.archive_old_conversations(integer, bigint, integer, numeric);
drop procedure if exists private.close_inactive_conversations(integer, bigint, integer, numeric);
