-- A GET with the caller's bearer token (BENCH_TOKEN); the URL names the path.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local report = require("report")

wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
done = report.done
