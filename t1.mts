import { openAnalytics } from "/work/wt-10/data-loaders/lib/cache.ts";
import { writeHistoryFiles } from "/work/wt-10/data-loaders/lib/history.ts";
const a = await openAnalytics(process.argv[2]!);
const t = performance.now();
const r = await writeHistoryFiles(a.db.conn, a.data, process.argv[3]!);
console.log(r.codes.length, ((performance.now()-t)/1000).toFixed(1), "s");
a.db.close();
