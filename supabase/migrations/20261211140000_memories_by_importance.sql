-- GET /v1/memories?sort=importance pages by (importance desc, memory_id desc). The index had
-- importance alone, so every page sorted each run of equal importance by id in full: 55 ms a
-- page at 100k memories, whose importance takes few distinct values. The id as the index's last
-- column gives the page's order as it is read; the reads by importance alone still lead with it.
create index if not exists memories_user_importance_id_idx
  on public.memories (user_id, importance desc, memory_id desc);
drop index if exists public.memories_user_importance_idx;
