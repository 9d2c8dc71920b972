-- Memory history: the previous state of a memory each time a person (or the server) changes
-- what it says or deletes it, so the app can show "what it used to say" and undo.

create table if not exists public.memory_history (
  memory_history_id bigint generated always as identity primary key,
  memory_id uuid not null,
  user_id uuid not null,
  operation text not null,
  old_values jsonb not null,
  changed_columns text[] not null default '{}',
  changed_by uuid,
  changed_at timestamptz not null default now(),
  -- No FK to memories: a deleted memory's last state is exactly what this keeps.
  constraint memory_history_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint memory_history_operation_valid check (operation in ('UPDATE', 'DELETE')),
  constraint memory_history_old_values_object check (jsonb_typeof(old_values) = 'object')
);
comment on table public.memory_history is
  'Previous versions of memories (old row as JSON) on each content update and delete; written by trigger only.';

alter table public.memory_history enable row level security;

create index if not exists memory_history_user_memory_idx on public.memory_history (user_id, memory_id, changed_at desc);
create index if not exists memory_history_memory_idx on public.memory_history (memory_id);

revoke all on table public.memory_history from anon, authenticated;
revoke all on sequence public.memory_history_memory_history_id_seq from anon, authenticated;
grant select on table public.memory_history to authenticated;
grant all on table public.memory_history to service_role;

drop policy if exists "Memory history is readable by its owner" on public.memory_history;
create policy "Memory history is readable by its owner" on public.memory_history
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Writes the old row. Security definer: history is not client-writable. Skipped when the owner
-- is being erased (the user row is already gone) and when a retention job deletes, which sets
-- dotline.skip_memory_history: expiry must not keep a copy of what it expires.
create or replace function private.record_memory_history() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if coalesce(current_setting('dotline.skip_memory_history', true), '') = 'on' then
    return null;
  end if;
  if not exists (select from auth.users u where u.id = old.user_id) then
    return null;
  end if;
  insert into public.memory_history (memory_id, user_id, operation, old_values, changed_columns, changed_by)
  values (
    old.memory_id,
    old.user_id,
    tg_op,
    to_jsonb(old),
    case when tg_op = 'UPDATE' then
      coalesce((select array_agg(o.key order by o.key)
                from jsonb_each(to_jsonb(old)) o
                where o.value is distinct from to_jsonb(new) -> o.key
                  and o.key <> 'updated_at'), '{}')
    else '{}' end,
    auth.uid()
  );
  return null;
end;
$$;
comment on function private.record_memory_history() is
  'Trigger: keeps the old version of a memory on content update and on delete in memory_history.';
revoke all on function private.record_memory_history() from public, anon, authenticated;

-- Content changes only: access counts, decay and a deleted source conversation are not edits.
drop trigger if exists memories_record_update_history on public.memories;
create trigger memories_record_update_history
  after update on public.memories
  for each row
  when ((old.memory_type, old.title, old.content, old.creation_ts, old.occurred_at, old.location, old.people,
         old.emotions, old.media_urls, old.attributes, old.tags, old.app_id, old.expires_at)
        is distinct from
        (new.memory_type, new.title, new.content, new.creation_ts, new.occurred_at, new.location, new.people,
         new.emotions, new.media_urls, new.attributes, new.tags, new.app_id, new.expires_at))
  execute function private.record_memory_history();

drop trigger if exists memories_record_delete_history on public.memories;
create trigger memories_record_delete_history
  after delete on public.memories
  for each row execute function private.record_memory_history();
