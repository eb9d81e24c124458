// The test's Pages worker: /__s3/* goes to the R2 S3 stand-in (./s3.js), everything else to the site's own
// _worker.js, unchanged (./product.js). Composed by tests/r2_s3/__init__.py; buckets.js is written there too.
import product from "./product.js";
import { handleS3 } from "./s3.js";
import { BUCKETS, PREFIX } from "./buckets.js";

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === PREFIX || pathname.startsWith(`${PREFIX}/`)) {
      return handleS3(request, env, BUCKETS, PREFIX);
    }
    return product.fetch(request, env, ctx);
  },
};
