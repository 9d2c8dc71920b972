// Lints Cypher with Neo4j's own front end (@neo4j-cypher/language-support).
// stdin:  {"schema": {"labels": [...], "relationshipTypes": [...]}, "statements": ["...", ...]}
// stdout: [[{"severity": 1|2, "message": "...", "offset": n}, ...], ...]  one list per statement
// Parameters are not declared, so "parameter not defined" notes are dropped (isNotParamError).
import { lintCypherQuery, isNotParamError } from '@neo4j-cypher/language-support';

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const { schema, statements } = JSON.parse(input);

const results = statements.map((statement) =>
  lintCypherQuery(statement, schema)
    .diagnostics.filter(isNotParamError)
    .map((d) => ({ severity: d.severity, message: d.message, offset: d.offsets?.start ?? null })),
);
process.stdout.write(JSON.stringify(results));
