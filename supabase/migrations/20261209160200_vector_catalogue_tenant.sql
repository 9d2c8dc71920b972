-- The embedded vector store holds one tenant that is no person: the coaching catalogue's knowledge
-- entries (CATALOGUE_TENANT in shared/dotline/services/mirroring/knowledge_entries.py), searched
-- by meaning beside their full text. Items and versions still go with their person when the Auth
-- user is deleted: the foreign key moves to owner_id, which is user_id for everyone but the
-- catalogue (null there, so no person is needed for it).

alter table vectors.items
  add column if not exists owner_id uuid
    generated always as (nullif(user_id, 'c47a1091-0e5c-5d2b-9c61-6b0d3f1a2e84'::uuid)) stored;
alter table vectors.user_versions
  add column if not exists owner_id uuid
    generated always as (nullif(user_id, 'c47a1091-0e5c-5d2b-9c61-6b0d3f1a2e84'::uuid)) stored;

comment on column vectors.items.owner_id is
  'The person the item belongs to (user_id), null for the catalogue tenant; cascades from auth.users.';
comment on column vectors.user_versions.owner_id is
  'The person the version belongs to (user_id), null for the catalogue tenant; cascades from auth.users.';

alter table vectors.items drop constraint if exists items_user_fk;
alter table vectors.user_versions drop constraint if exists user_versions_user_fk;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'items_owner_fk') then
    alter table vectors.items
      add constraint items_owner_fk foreign key (owner_id) references auth.users (id) on delete cascade;
    alter table vectors.user_versions
      add constraint user_versions_owner_fk foreign key (owner_id) references auth.users (id) on delete cascade;
  end if;
end;
$$;

-- The cascade's lookup (user_versions' primary key is on user_id, which owner_id equals).
create index if not exists items_owner_id_idx on vectors.items (owner_id);
create index if not exists user_versions_owner_id_idx on vectors.user_versions (owner_id);
