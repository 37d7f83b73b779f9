/** Entry point of the bundled CLI (dist/notary-pin.mjs). */
import { main } from './main.js';

await main(process.argv);
