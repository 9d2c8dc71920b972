

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
  found_ids uuid[] := '{}';
  hit record;
begin
  for hit in select * from private.knowledge_matches(query, app, max_results) loop
    knowledge_entry_id := hit.knowledge_entry_id;
    knowledge_base_id := hit.knowledge_base_id;
    knowledge_base_slug := hit.knowledge_base_slug;
    title := hit.title;
    content := hit.content;
    category := hit.category;
    tags := hit.tags;
    relevance := hit.relevance;
    found_ids := found_ids || hit.knowledge_entry_id;
    return next;
  end loop;
  if cardinality(found_ids) > 0 then
    perform private.record_knowledge_access(found_ids);
  end if;
end;
$$;
comment on function api.search_knowledge(text, text, integer) is
  'Full-text search (websearch syntax, ts_rank: title > content > tags) over an app''s active knowledge bases (private.knowledge_matches); counts each hit''s access. app is the slug or the app_id; at most 100 results.';
revoke all on function api.search_knowledge(text, text, integer) from public, anon;
grant execute on function api.search_knowledge(text, text, integer) to authenticated, service_role;

create or replace function api.knowledge_hits(query text, app text, max_results integer default 5)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select coalesce(jsonb_agg(to_jsonb(hit) order by hit.rank_order), '[]'::jsonb)
  from api.search_knowledge(query, app, max_results)
       with ordinality as hit(knowledge_entry_id, knowledge_base_id, knowledge_base_slug, title,
                              content, category, tags, relevance, rank_order);
$$;
comment on function api.knowledge_hits(text, text, integer) is
  'api.search_knowledge''s hits as one jsonb array, best first (each hit with its rank_order); [] when none. Counts each hit''s access as the search does.';
revoke all on function api.knowledge_hits(text, text, integer) from public, anon;
grant execute on function api.knowledge_hits(text, text, integer) to authenticated, service_role;
