-- pg_cron where Supabase keeps it: in pg_catalog, not public. Supabase's documented install is
-- `create extension pg_cron with schema pg_catalog`, and its supautils setting
-- `extensions_parameter_overrides` puts a bare `create extension pg_cron` (as the earlier
-- migrations run it) there too; the local stack creates it there before any migration
-- (local/dotline_local/supabase_emulation.sql). A database where it landed in public (one
-- migrated before the stack did so, or a plain Postgres) has it moved here. pg_cron's objects
-- live in schema `cron` either way; only the extension's own schema moves, which takes a drop
-- and a create (it is not relocatable): every job is scheduled again as it was, under its name,
-- command, schedule, database, owner and active flag. pg_cron's run history
-- (cron.job_run_details, kept a week) goes with the old extension.

do $$
declare
  v_jobs jsonb;
  v_job record;
  v_job_id bigint;
begin
  if not exists (
    select from pg_catalog.pg_extension e
    where e.extname = 'pg_cron' and e.extnamespace <> 'pg_catalog'::regnamespace
  ) then
    return;
  end if;
  select coalesce(jsonb_agg(to_jsonb(j) order by j.jobid), '[]'::jsonb) into v_jobs from cron.job j;
  drop extension pg_cron;
  create extension pg_cron with schema pg_catalog;
  for v_job in
    select * from jsonb_to_recordset(v_jobs)
      as j (jobid bigint, jobname text, schedule text, command text, database text, username text, active boolean)
    order by j.jobid
  loop
    if v_job.jobname is null then
      v_job_id := cron.schedule(v_job.schedule, v_job.command);
    else
      v_job_id := cron.schedule(v_job.jobname, v_job.schedule, v_job.command);
    end if;
    if (v_job.database, v_job.username, v_job.active)
       is distinct from (current_database()::text, current_user::text, true) then
      perform cron.alter_job(
        v_job_id, database => v_job.database, username => v_job.username, active => v_job.active
      );
    end if;
  end loop;
end
$$;
