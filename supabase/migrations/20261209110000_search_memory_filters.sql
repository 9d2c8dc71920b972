-- Search filters on memory fields (GET /v1/search: tags, memory types, importance range, source
-- conversation, occurred_at range, attributes): one predicate that every channel's SQL applies
-- (private.search_text_hits, api.search_rows), and the fields the embedded vector store keeps
-- beside each item so its filter can apply them before ranking, like Weaviate's.

-- Whether a memory meets the memory-field restrictions of a search. `restrictions` is what the
-- search service sends: {"tags_any": [...], "tags_all": [...], "memory_types": [...],
-- "importance_min": n, "importance_max": n, "conversation_id": uuid, "occurred_after": ts,
-- "occurred_before": ts, "metadata": {"dotted.path": "value as text"}}, each key optional.
-- A missing value (no occurred_at, no such attribute) never passes a restriction on it; a
-- metadata value matches a scalar attribute only (string, number or boolean, as `#>>` renders it).
create or replace function private.memory_passes(restrictions jsonb, m public.memories)
returns boolean
language sql
stable
set search_path = ''
as $$
  select restrictions is null or coalesce(
    (restrictions -> 'memory_types' is null or restrictions -> 'memory_types' ? m.memory_type)
    and (restrictions -> 'tags_any' is null
         or m.tags && array(select jsonb_array_elements_text(restrictions -> 'tags_any')))
    and (restrictions -> 'tags_all' is null
         or m.tags @> array(select jsonb_array_elements_text(restrictions -> 'tags_all')))
    and (restrictions ->> 'importance_min' is null
         or m.importance >= (restrictions ->> 'importance_min')::numeric)
    and (restrictions ->> 'importance_max' is null
         or m.importance <= (restrictions ->> 'importance_max')::numeric)
    and (restrictions ->> 'conversation_id' is null
         or m.source_conversation_id = (restrictions ->> 'conversation_id')::uuid)
    and (restrictions ->> 'occurred_after' is null
         or m.occurred_at > (restrictions ->> 'occurred_after')::timestamptz)
    and (restrictions ->> 'occurred_before' is null
         or m.occurred_at < (restrictions ->> 'occurred_before')::timestamptz)
    and (restrictions -> 'metadata' is null or not exists (
      select from jsonb_each_text(restrictions -> 'metadata') as w (path, value)
      where not coalesce(
        jsonb_typeof(m.attributes #> string_to_array(w.path, '.')) in ('string', 'number', 'boolean')
        and m.attributes #>> string_to_array(w.path, '.') = w.value, false))),
    false)
$$;
comment on function private.memory_passes(jsonb, public.memories) is
  'Whether a memory meets a search''s memory-field restrictions (tags any/all, memory types, importance range, source conversation, occurred_at range, attribute values); null restrictions: every memory does.';
revoke all on function private.memory_passes(jsonb, public.memories) from public, anon;
grant execute on function private.memory_passes(jsonb, public.memories) to authenticated, service_role;

-- The memory fields the embedded vector store filters on (empty for concepts and artifacts),
-- as shared/dotline/services/mirroring/entities.py copies them from the row.
alter table vectors.items
  add column if not exists memory_type text,
  add column if not exists app_id uuid,
  add column if not exists source_conversation_id uuid,
  add column if not exists occurred_at timestamptz,
  add column if not exists attribute_pairs text[] not null default '{}';
comment on column vectors.items.attribute_pairs is
  'A memory''s scalar attributes as "dotted.path=value" (ports/vectors.py attribute_pairs), for the metadata filter.';
