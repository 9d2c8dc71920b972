-- api.search_knowledge: the coach's knowledge lookup (seed 004 hot path), one round trip.

-- Security invoker: the caller's RLS decides what is searchable (active bases of active apps);
-- the access counting goes through private.record_knowledge_access.
create or replace function api.search_knowledge(query text, app text, max_results integer default 5)
returns table (
  knowledge_entry_id uuid,
  knowledge_base_id uuid,
  knowledge_base_slug text,
  title text,
  content text,
  category text,
  tags text[],
  relevance real
)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  tsq tsquery := websearch_to_tsquery('english'::regconfig, coalesce(query, ''));
  found_ids uuid[] := '{}';
  hit record;
begin
  if numnode(tsq) = 0 or max_results is null or max_results < 1 then
    return;  -- empty or stop-word-only query: nothing to rank
  end if;
  for hit in
    select ke.knowledge_entry_id, ke.knowledge_base_id, kb.slug, ke.title, ke.content, ke.category, ke.tags,
           ts_rank(ke.search_vector, tsq) as rank
    from public.apps a
    join public.app_knowledge_bases akb on akb.app_id = a.app_id
    join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
    join public.knowledge_entries ke on ke.knowledge_base_id = kb.knowledge_base_id
    where (a.slug = app or a.app_id::text = lower(app))
      and a.is_active
      and ke.search_vector @@ tsq
    order by rank desc, ke.title, ke.knowledge_entry_id
    limit least(max_results, 100)
  loop
    knowledge_entry_id := hit.knowledge_entry_id;
    knowledge_base_id := hit.knowledge_base_id;
    knowledge_base_slug := hit.slug;
    title := hit.title;
    content := hit.content;
    category := hit.category;
    tags := hit.tags;
    relevance := hit.rank;
    found_ids := found_ids || hit.knowledge_entry_id;
    return next;
  end loop;
  if cardinality(found_ids) > 0 then
    perform private.record_knowledge_access(found_ids);
  end if;
end;
$$;
comment on function api.search_knowledge(text, text, integer) is
  'Full-text search (websearch syntax, ts_rank: title > content > tags) over an app''s active knowledge bases; counts each hit''s access. app is the slug or the app_id; at most 100 results.';
revoke all on function api.search_knowledge(text, text, integer) from public, anon;
grant execute on function api.search_knowledge(text, text, integer) to authenticated, service_role;
