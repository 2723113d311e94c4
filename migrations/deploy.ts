// Anchor's deploy hook: `anchor deploy` / `anchor migrate` call this after the program is
// deployed. Exchange set-up (initialize_exchange, banks, markets) is done by the SDK's
// bootstrap, not here, so a deploy never lists markets by accident.
import * as anchor from "@anchor-lang/core";

module.exports = async function (provider: anchor.AnchorProvider) {
  anchor.setProvider(provider);
};
