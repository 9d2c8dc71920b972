-- A delivery the webhook refused with 503 (a store it needs is down: the database, Redis, the
-- graph or the vectors) is about the outage, not about the change: it is retried after its
-- backoff like any failure, its attempts still count (so the backoff keeps growing to its cap),
-- but running out of attempts never makes it dead. An outage of any length dead-letters nothing;
-- the change goes through once the store is back. Every other failure is as before
-- (20261123130100_outbox_delivery.sql).

drop function if exists private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer);

create or replace function private.settle_outbox_delivery(
  outbox_id bigint, delivered boolean, error text, retry_after_s double precision,
  permanent boolean, max_attempts integer, unavailable boolean default false
) returns text
language sql
security definer
set search_path = ''
as $$
  update private.outbox o
  set attempts = o.attempts + 1,
      status = case
        when delivered then 'delivered'
        when permanent then 'dead'
        when o.attempts + 1 >= max_attempts and not unavailable then 'dead'
        else 'pending' end,
      delivered_at = case when delivered then now() end,
      next_attempt_at = case
        when delivered or permanent then o.next_attempt_at
        else now() + make_interval(secs => retry_after_s) end,
      last_error = case when delivered then o.last_error else left(error, 2000) end
  where o.outbox_id = settle_outbox_delivery.outbox_id
  returning o.status
$$;
comment on function private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean) is
  'Records one delivery attempt: delivered, retried after retry_after_s, or dead (permanent, or out of tries unless the webhook was unavailable).';

revoke all on function private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean)
  from public, anon, authenticated;
grant execute on function private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean)
  to service_role;
