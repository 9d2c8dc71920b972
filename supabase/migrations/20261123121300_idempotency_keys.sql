-- Idempotency keys: a client's `Idempotency-Key` for a mutating request, with a hash of the
-- request and the response first given, so a retry gets the same answer and a different request
-- under the same key is refused. Internal: private schema, service_role only; expired keys are
-- purged by cron.

create table if not exists private.idempotency_keys (
  user_id uuid not null constraint idempotency_keys_user_fk references auth.users (id) on delete cascade,
  idempotency_key text not null,
  request_hash text not null,
  response_status integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '24 hours',
  constraint idempotency_keys_pkey primary key (user_id, idempotency_key),
  constraint idempotency_keys_key_length check (char_length(idempotency_key) between 1 and 255),
  constraint idempotency_keys_request_hash_length check (char_length(request_hash) between 1 and 128),
  constraint idempotency_keys_response_status_range
    check (response_status is null or response_status between 100 and 599),
  constraint idempotency_keys_expires_after_creation check (expires_at > created_at)
);
comment on table private.idempotency_keys is
  'Per-user idempotency keys with request hash and stored response; expire after a day by default.';

alter table private.idempotency_keys enable row level security;

create index if not exists idempotency_keys_expires_at_idx on private.idempotency_keys (expires_at);

revoke all on table private.idempotency_keys from public, anon, authenticated;
grant all on table private.idempotency_keys to service_role;
