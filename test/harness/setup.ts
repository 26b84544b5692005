/** Mocha root hooks: the mock runtime is installed once, before any spec runs. */
import { installMocks } from "./mocks";
import { loadSchemas } from "./schemas";

export const mochaHooks = {
  async beforeAll() {
    await installMocks(false);
    await loadSchemas();
  },
};
