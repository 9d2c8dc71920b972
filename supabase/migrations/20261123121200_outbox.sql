-- The outbox (design decision 4): changes to deliver to the webhook function, written in the
-- same transaction as the change, in the payload shape of Supabase database webhooks
-- ({type, table, schema, record, old_record}). A dispatcher delivers due rows with retries and
-- backoff and dead-letters after the last try. Internal: private schema, service_role only.
-- No trigger writes here yet; attaching tables is a later change.

create table if not exists private.outbox (
  outbox_id bigint generated always as identity primary key,
  topic text not null,
  event_type text not null,
  schema_name text not null,
  table_name text not null,
  payload jsonb not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  constraint outbox_topic_length check (char_length(topic) between 1 and 128),
  constraint outbox_event_type_valid check (event_type in ('INSERT', 'UPDATE', 'DELETE')),
  constraint outbox_payload_webhook_shape check (
    jsonb_typeof(payload) = 'object'
    and payload ?& array['type', 'table', 'schema', 'record', 'old_record']
    and payload ->> 'type' = event_type
    and payload ->> 'table' = table_name
    and payload ->> 'schema' = schema_name
  ),
  constraint outbox_status_valid check (status in ('pending', 'delivered', 'dead')),
  constraint outbox_attempts_nonnegative check (attempts >= 0),
  constraint outbox_delivered_at_iff_delivered check ((status = 'delivered') = (delivered_at is not null))
);
comment on table private.outbox is
  'Changes awaiting delivery to the webhook function (Supabase webhook payload shape); retried, then dead.';

alter table private.outbox enable row level security;

-- The dispatcher's query: pending rows whose time has come, oldest first.
create index if not exists outbox_due_idx on private.outbox (next_attempt_at, outbox_id) where status = 'pending';
create index if not exists outbox_status_created_at_idx on private.outbox (status, created_at);

revoke all on table private.outbox from public, anon, authenticated;
grant all on table private.outbox to service_role;
