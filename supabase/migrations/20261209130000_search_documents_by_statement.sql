-- New memories' search documents, written once per statement (issue 20: a write's cost must not
-- grow with how many memories a person has).
--
-- The row trigger of 20261202130000 wrote each new memory's document in a statement of its own,
-- and every such statement moved the person's row in private.search_document_counts (a
-- statement-level trigger). Inside one transaction those updates pile up versions of one row
-- that no vacuum can prune yet, and each update walks all of them: inserting n memories in one
-- transaction cost O(n^2) (a 20,000-memory import spent 20 s in the count alone, against 1 s
-- at 5,000). Now an insert into public.memories, of one row or of a whole import, writes its
-- documents in one statement: one count update per statement. Updates keep the row trigger
-- (memories_search_document).
--
-- Deletes likewise (added 2026-12-11): a memory's document was removed by the row trigger in a
-- statement of its own, so deleting n memories in one statement (a retention or expiry batch, an
-- erasure's) moved the person's document and term counts n times in one transaction: 2,000 of
-- them took 1.6 s in the count trigger alone, a batch of 5,000 ran past the statement timeout.
create or replace function private.index_added_memories_for_search() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.search_documents as d
    (entity_type, entity_id, user_id, app_id, created_at, expires_at, search_vector)
  select 'memory', a.memory_id, a.user_id, a.app_id, a.created_at, a.expires_at,
         private.search_vector(a.title, a.content, private.tags_as_text(a.tags))
  from added a
  order by a.memory_id
  on conflict (entity_type, entity_id) do update
  set user_id = excluded.user_id, app_id = excluded.app_id, created_at = excluded.created_at,
      expires_at = excluded.expires_at, search_vector = excluded.search_vector, indexed_at = now();
  return null;
end;
$$;
comment on function private.index_added_memories_for_search() is
  'Trigger: writes the search documents of a statement''s new memories (title A, content B, tags C) in one statement.';
revoke all on function private.index_added_memories_for_search() from public, anon, authenticated;

drop trigger if exists memories_search_documents_added on public.memories;
create trigger memories_search_documents_added
  after insert on public.memories
  referencing new table as added
  for each statement execute function private.index_added_memories_for_search();

create or replace function private.index_removed_memories_for_search() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.search_documents d
  using removed r
  where d.entity_type = 'memory' and d.entity_id = r.memory_id;
  return null;
end;
$$;
comment on function private.index_removed_memories_for_search() is
  'Trigger: removes the search documents of a statement''s deleted memories in one statement.';
revoke all on function private.index_removed_memories_for_search() from public, anon, authenticated;

drop trigger if exists memories_search_documents_removed on public.memories;
create trigger memories_search_documents_removed
  after delete on public.memories
  referencing old table as removed
  for each statement execute function private.index_removed_memories_for_search();
