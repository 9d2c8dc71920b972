-- Abandoned uploads: an item still `pending` a day after it was requested will never get its
-- bytes (its presigned URL lasted 15 minutes; a replayed create re-signs only within that day), so
-- it becomes `failed` with a reason instead of waiting forever. The person sees why and can delete
-- it (DELETE /v1/media/{id} also removes an object, should one have arrived without its event).
-- A pg_cron job runs it hourly through private.run_job(); callable by hand
-- (`select private.fail_abandoned_uploads();`). Batches skip rows the S3-event function holds.

create extension if not exists pg_cron;

-- Fails pending media items requested more than p_after ago, p_batch_size rows at a time.
create or replace function private.fail_abandoned_uploads(
  p_after interval default interval '1 day',
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
  v_failed bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    with batch as materialized (
      select m.media_id
      from public.media_items m
      where m.processing_status = 'pending' and m.created_at < now() - p_after
      limit p_batch_size
      for update skip locked
    )
    update public.media_items m
    set processing_status = 'failed',
        failure_reason = 'no upload arrived within ' || p_after::text || ' of the request',
        processed_at = now()
    from batch
    where m.media_id = batch.media_id;
    get diagnostics v_batch = row_count;
    v_failed := v_failed + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('rows_failed', v_failed);
end;
$$;
comment on function private.fail_abandoned_uploads(interval, integer, integer) is
  'Job: pending media items older than p_after become failed with a reason; returns {"rows_failed": n}.';
revoke all on function private.fail_abandoned_uploads(interval, integer, integer) from public, anon, authenticated;
grant execute on function private.fail_abandoned_uploads(interval, integer, integer) to service_role;

-- cron.schedule() with a job name replaces the job of that name: re-applying changes nothing.
select cron.schedule(
  'fail-abandoned-uploads',
  '25 * * * *',
  $cmd$select private.run_job('fail-abandoned-uploads', 'select private.fail_abandoned_uploads()')$cmd$
);
