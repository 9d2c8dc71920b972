-- private.search_terms in PL/pgSQL (20261202130000) gives what the SQL body it replaced gave:
-- the words that carry meaning, first spelling of each lexeme, in query order.
begin;
create extension if not exists pgtap with schema extensions;
select plan(8);

create function pg_temp.terms_before(query text, out words text[], out lexemes text[])
language sql immutable as $$
  select coalesce(array_agg(t.word order by t.ord), '{}'), coalesce(array_agg(t.lexeme order by t.ord), '{}')
  from (
    select distinct on (l.lexeme) w.word, l.lexeme, w.ord
    from regexp_split_to_table(lower(coalesce(query, '')), '[^[:alnum:]]+') with ordinality as w (word, ord)
    cross join lateral unnest(tsvector_to_array(to_tsvector('english'::regconfig, w.word))) as l (lexeme)
    where w.word <> ''
    order by l.lexeme, w.ord
  ) as t
$$;

select is((private.search_terms('What happened with Ana at the Belfel park?')).words,
          array['happened', 'ana', 'belfel', 'park'],
          'stop words go, the rest stay in query order, lower-cased');
select is((private.search_terms('What happened with Ana at the Belfel park?')).lexemes,
          array['happen', 'ana', 'belfel', 'park'],
          'each word with its English lexeme');
select is((private.search_terms('Walks, walking; WALKED walk')).words, array['walks'],
          'one entry per lexeme, its first spelling');
select is((private.search_terms('the and of')).words, '{}'::text[], 'only stop words: no terms');
select is((private.search_terms(null)).lexemes, '{}'::text[], 'no query: no terms');
select is((private.search_terms('  ')).words, '{}'::text[], 'a blank query: no terms');

select is(
  (select count(*)::integer from (values
     ('What happened with Ana at the Belfel park?'), ('that time I had to scrub a bike'),
     ('Walks, walking; WALKED walk'), ('co-op café 3D 2026-12-03'), ('the and of'), (''),
     ('Ünïcode straße naïve'), ('a-b_c d.e'), (null)) as q (query)
   where private.search_terms(q.query) is distinct from pg_temp.terms_before(q.query)),
  0, 'the same words and lexemes as the SQL function it replaced, for every query tried');
select is((select l.lanname from pg_proc p join pg_language l on l.oid = p.prolang
           where p.oid = 'private.search_terms(text)'::regprocedure), 'plpgsql',
          'it is PL/pgSQL, so a connection plans its query once');

select * from finish();
rollback;
