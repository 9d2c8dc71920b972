-- private.search_terms in PL/pgSQL (issue 5: search p95 within 20 ms at 10k memories). Each
-- search calls it twice (api.search_candidates and private.search_text_hits). As a SQL function
-- with a SET clause it cannot be inlined, so every call planned its query afresh: 0.2 ms a call.
-- PL/pgSQL keeps the plan for the connection. Same words and lexemes, same order (the pgTAP test
-- 610 compares it with the SQL body it replaces). Measured on the bench's 200 questions against
-- 10k documents: api.search_candidates 2.1-2.4 ms -> 1.9 ms (mean, net of a bare transaction).

create or replace function private.search_terms(query text, out words text[], out lexemes text[])
language plpgsql immutable parallel safe
set search_path = ''
as $$
begin
  select coalesce(array_agg(t.word order by t.ord), '{}'), coalesce(array_agg(t.lexeme order by t.ord), '{}')
    into words, lexemes
  from (
    select distinct on (l.lexeme) w.word, l.lexeme, w.ord
    from regexp_split_to_table(lower(coalesce(query, '')), '[^[:alnum:]]+') with ordinality as w (word, ord)
    cross join lateral unnest(tsvector_to_array(to_tsvector('english'::regconfig, w.word))) as l (lexeme)
    where w.word <> ''
    order by l.lexeme, w.ord
  ) as t;
end;
$$;
comment on function private.search_terms(text) is
  'A search query''s words that carry meaning and their English lexemes (letters and digits only), in query order.';
revoke all on function private.search_terms(text) from public, anon;
grant execute on function private.search_terms(text) to authenticated, service_role;
