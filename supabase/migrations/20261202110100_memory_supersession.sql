-- Memories a newer one replaces (issue 5, ingestion): when a person says something that
-- contradicts what an earlier memory holds ("I live in Paris", later "I moved to Berlin"), the
-- earlier memory is not deleted (it was true then) but marked invalid from the moment the newer
-- one was said, and points at it. Both columns are the server's (ingestion); the client grants on
-- public.memories name their columns, so neither is writable by a person.

alter table public.memories add column if not exists invalid_at timestamptz;
alter table public.memories add column if not exists superseded_by uuid;
comment on column public.memories.invalid_at is
  'When a newer memory (superseded_by) replaced what this one says; null while it holds.';
comment on column public.memories.superseded_by is
  'The newer memory that contradicts and replaces this one (set by ingestion).';

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'memories_superseded_by_fk') then
    alter table public.memories
      add constraint memories_superseded_by_fk foreign key (superseded_by, user_id)
      references public.memories (memory_id, user_id) on delete set null (superseded_by);
  end if;
end
$$;

create index if not exists memories_superseded_by_idx on public.memories (superseded_by)
  where superseded_by is not null;
