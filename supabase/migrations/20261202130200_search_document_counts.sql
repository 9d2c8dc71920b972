-- A plain btree on search_documents (user_id): private.search_text_hits counts the caller's
-- documents on every search (the N of its idf), and the GIN index can only answer that with a
-- bitmap heap scan of every one of them (2.5 ms at 10k documents); this one answers it from
-- the index alone (an index-only scan, the table's visibility map permitting).

create index if not exists search_documents_user_idx on public.search_documents (user_id);
