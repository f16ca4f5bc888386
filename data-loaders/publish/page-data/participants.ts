// participants.json: every participant ever seen in holdings, with positions and activity.
import type { Analytics } from "../../compute/cache.ts";
import { columns } from "../../compute/duck.ts";
import { participantFile, participantKind } from "../ids.ts";
import { hasData, latestDate, SCHEMA_VERSION } from "../common.ts";

export const PARTICIPANTS_SQL = `
SELECT p.pkey AS key, n.participant_id AS id, n.name,
  p.positions, strftime(n.first_seen, '%Y-%m-%d') AS first_seen, strftime(n.last_seen, '%Y-%m-%d') AS last_seen,
  strftime(p.latest_activity, '%Y-%m-%d') AS latest_activity
FROM participant_stats p LEFT JOIN participant_names n USING (pkey)
ORDER BY p.pkey`;

export async function participantIndexColumns(a: Analytics) {
  const t = await columns(a.db.conn, PARTICIPANTS_SQL);
  const keys = (t.key ?? []) as string[];
  return {
    key: keys,
    id: t.id ?? [],
    name: t.name ?? [],
    kind: keys.map(participantKind),
    file: keys.map(participantFile),
    positions: t.positions ?? [],
    first_seen: t.first_seen ?? [],
    last_seen: t.last_seen ?? [],
    latest_activity: t.latest_activity ?? [],
  };
}

export async function participants(a: Analytics) {
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    latest_date: await latestDate(a),
    participants: await participantIndexColumns(a),
  };
}
