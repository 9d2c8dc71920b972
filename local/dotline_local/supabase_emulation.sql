-- What a Supabase project has before any migration of ours runs, recreated for a plain PostgreSQL 15.
-- Applied by the local stack before the migrations; never shipped as a migration (on Supabase it
-- already exists). Idempotent: safe to apply on every start.

-- Roles, as Supabase creates them. `authenticator` is the login role PostgREST switches from.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- Supabase installs extensions into their own schema and puts it on the search path.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- pg_cron in pg_catalog, as on Supabase: its supautils setting
-- `extensions_parameter_overrides = '{"pg_cron": {"schema": "pg_catalog"}}'` sends every
-- `create extension pg_cron` there, whatever schema the statement names, so the migrations'
-- `create extension if not exists pg_cron` find it in place. Plain Postgres has no such override,
-- so it is created here first. Only in the database pg_cron serves (cron.database_name): it
-- refuses any other (the migration runner's tests apply this file to scratch databases).
do $$
begin
  if current_database() = current_setting('cron.database_name', true) then
    create extension if not exists pg_cron with schema pg_catalog;
  end if;
end
$$;

do $$
begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end
$$;
set search_path = "$user", public, extensions;

-- The auth schema: the columns of auth.users that the project and its RLS tests use.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false
);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
grant select on auth.users to service_role;

-- The claim readers, as Supabase defines them: PostgREST (and dotline's db.as_user) put the
-- verified token's claims in `request.jwt.claims`, transaction-local.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role;

-- Default privileges as Supabase sets them: everything created in public by postgres is granted
-- to the API roles, so row-level security (and explicit revokes) are what protect data.
grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- The CLI's migration history table, so `supabase migration list` and our runner agree.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);
-- And its record of applied seed files, so a seed runs once per database.
create table if not exists supabase_migrations.seed_files (
  path text primary key,
  hash text not null
);

-- Realtime's schema as Supabase Realtime's own migrations leave it: `realtime.messages` (RLS on,
-- so only policies let a role read or write it; Supabase partitions it by day, a plain table does
-- here), `realtime.topic()` for the policies and `realtime.send` for broadcasts from SQL.
create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  constraint messages_pkey primary key (id, inserted_at)
);
create index if not exists messages_inserted_at_topic_index
  on realtime.messages (inserted_at desc, topic) where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to postgres, anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;

create or replace function realtime.send(
  payload jsonb, event text, topic text, private boolean default true
) returns void
language plpgsql
as $$
begin
  begin
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;
revoke all on function realtime.send(jsonb, text, text, boolean) from public;
grant execute on function realtime.send(jsonb, text, text, boolean) to postgres;

-- Not Supabase's: how the local Realtime face (dotline_local.realtime_face) learns of a broadcast
-- sent from SQL. Supabase Realtime reads the table's WAL; a notification at commit is the local
-- equivalent (a rolled-back send notifies nobody, as on Supabase); the face reads the row by id.
create or replace function realtime.notify_local_face() returns trigger
language plpgsql
as $$
begin
  if new.extension = 'broadcast' then
    perform pg_notify('realtime_local_face', new.id::text);
  end if;
  return new;
end;
$$;
revoke all on function realtime.notify_local_face() from public;
drop trigger if exists messages_notify_local_face on realtime.messages;
create trigger messages_notify_local_face
  after insert on realtime.messages
  for each row execute function realtime.notify_local_face();
