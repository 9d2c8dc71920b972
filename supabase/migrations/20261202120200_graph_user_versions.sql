-- A version number per user's graph in the embedded graph store, bumped by every write, so a
-- reader can tell "unchanged since I last looked" with one row read instead of reading the
-- whole graph (the cosmos projection: shared/dotline/services/graph_projection.py). Values come
-- from a sequence, so each committed state of a graph carries a value no other state had.

create sequence if not exists graph.user_version_seq;
comment on sequence graph.user_version_seq is 'Source of per-user graph versions (never reused).';

create table if not exists graph.user_versions (
  user_id uuid not null
    constraint user_versions_user_fk references auth.users (id) on delete cascade,
  version bigint not null,
  constraint user_versions_pkey primary key (user_id)
);
comment on table graph.user_versions is
  'The version of each user''s graph, bumped by every write to graph.nodes or graph.edges.';

alter table graph.user_versions enable row level security;

revoke all on table graph.user_versions from public, anon, authenticated;
revoke all on sequence graph.user_version_seq from public, anon, authenticated;
grant select, insert, update, delete on table graph.user_versions to service_role;
grant usage on sequence graph.user_version_seq to service_role;

-- Statement trigger: one bump per user a statement touched (`changed` is its transition table).
-- A user being erased (auth.users row already gone in this transaction) gets none, so the
-- cascade that removes their graph does not trip over the foreign key. Security definer: it
-- reads auth.users, which the graph's writer (service_role) need not see.
create or replace function graph.bump_user_versions() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into graph.user_versions as stored (user_id, version)
  select touched.user_id, nextval('graph.user_version_seq')
  from (select distinct changed.user_id from changed) as touched
  where exists (select from auth.users as u where u.id = touched.user_id)
  on conflict (user_id) do update set version = excluded.version;
  return null;
end;
$$;
comment on function graph.bump_user_versions() is
  'Trigger: gives every user whose graph a statement changed a fresh graph version.';
revoke all on function graph.bump_user_versions() from public, anon, authenticated;

drop trigger if exists nodes_bump_version_on_insert on graph.nodes;
create trigger nodes_bump_version_on_insert after insert on graph.nodes
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists nodes_bump_version_on_update on graph.nodes;
create trigger nodes_bump_version_on_update after update on graph.nodes
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists nodes_bump_version_on_delete on graph.nodes;
create trigger nodes_bump_version_on_delete after delete on graph.nodes
  referencing old table as changed for each statement execute function graph.bump_user_versions();

drop trigger if exists edges_bump_version_on_insert on graph.edges;
create trigger edges_bump_version_on_insert after insert on graph.edges
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists edges_bump_version_on_update on graph.edges;
create trigger edges_bump_version_on_update after update on graph.edges
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists edges_bump_version_on_delete on graph.edges;
create trigger edges_bump_version_on_delete after delete on graph.edges
  referencing old table as changed for each statement execute function graph.bump_user_versions();
