-- Delivered outbox rows are kept a week for inspection (`dotline outbox status`, replays by
-- hand), then purged; dead rows stay until someone redrives or deletes them. Batched, so the
-- purge never holds many row locks at once. In GMT, like the other pg_cron jobs.

create or replace function private.purge_delivered_outbox(
  older_than interval default interval '7 days', batch_size integer default 10000
) returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_purged integer := 0;
  v_batch integer;
begin
  loop
    delete from private.outbox o
    where o.outbox_id in (
      select d.outbox_id from private.outbox d
      where d.status = 'delivered' and d.delivered_at < now() - older_than
      limit batch_size
    );
    get diagnostics v_batch = row_count;
    v_purged := v_purged + v_batch;
    exit when v_batch < batch_size;
  end loop;
  return v_purged;
end;
$$;
comment on function private.purge_delivered_outbox(interval, integer) is
  'Deletes delivered outbox rows older than older_than, batch by batch; returns how many.';
revoke all on function private.purge_delivered_outbox(interval, integer) from public, anon, authenticated;
grant execute on function private.purge_delivered_outbox(interval, integer) to service_role;

create index if not exists outbox_delivered_at_idx on private.outbox (delivered_at)
  where status = 'delivered';

create extension if not exists pg_cron;
select cron.schedule('purge-delivered-outbox', '15 4 * * *', 'select private.purge_delivered_outbox()');
