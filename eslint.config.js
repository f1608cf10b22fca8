// Lint rules: typescript-eslint's type-aware recommended set, strict about `any` in exported code,
// and the layer boundaries (api → runs → engine ← steps → adapters) as import restrictions.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// What a layer may not import. Each rule names where the import belongs instead.
const KAFKAJS = {
  regex: "^kafkajs(/.*)?$",
  message: "kafkajs only in src/adapters/kafka: use the Kafka adapter's named methods.",
};
const REDIS = {
  regex: "^(ioredis|bullmq)(/.*)?$",
  message:
    "ioredis and bullmq only in src/adapters/redis and src/queue (and the composition root, src/main.ts).",
};
const NODE_IO = {
  regex: "^(node:)?(fs|fs/promises|http|https|http2|tls|dgram|child_process)$",
  message:
    "No I/O in the engine, the Kafka and DNS domain modules or steps: reach the world through an adapter.",
};
const API = {
  regex: "^(\\.\\./)+api(/.*)?$",
  message: "Nothing below the HTTP layer imports src/api: move what is shared down (runs/, contract/).",
};
// node:net's address predicates are pure; only its sockets are I/O.
const NET_PREDICATES = ["node:net", "net"].map((name) => ({
  name,
  allowImportNames: ["isIP", "isIPv4", "isIPv6"],
  message:
    "Only node:net's address predicates (isIP, isIPv4, isIPv6) in the domain: sockets go through an adapter.",
}));

/** One no-restricted-imports rule per set of files (flat config replaces, never merges, rule options). */
function boundary(files, restricted, extra = {}) {
  const patterns = restricted.filter((r) => r !== NET_PREDICATES);
  const paths = restricted.includes(NET_PREDICATES) ? NET_PREDICATES : [];
  return {
    files,
    // Tests (beside the code) start servers and talk to the sandbox: the boundaries are for src.
    ignores: ["**/*.test.ts", ...(extra.ignores ?? [])],
    rules: { "no-restricted-imports": ["error", { paths, patterns }] },
  };
}

const boundaries = [
  boundary(["src/engine/**", "src/steps/**"], [KAFKAJS, REDIS, NODE_IO, NET_PREDICATES, API]),
  boundary(["src/kafka/**", "src/dns/**"], [KAFKAJS, REDIS, NODE_IO, NET_PREDICATES, API]),
  boundary(["src/adapters/kafka/**"], [REDIS, API]),
  boundary(["src/adapters/redis/**"], [KAFKAJS, API]),
  boundary(["src/adapters/consumers/**", "src/adapters/dns/**"], [KAFKAJS, REDIS, API]),
  boundary(["src/queue/**"], [KAFKAJS, API]),
  boundary(["src/runs/**", "src/evaluation/**"], [KAFKAJS, REDIS, API]),
  // The audit log keeps its Redis half until it is split into writer, reader and verifier.
  boundary(["src/audit/**"], [KAFKAJS, REDIS, API], { ignores: ["src/audit/audit-log.ts"] }),
  boundary(["src/audit/audit-log.ts"], [KAFKAJS, API]),
  boundary(
    ["src/api/**", "src/posture/**", "src/config/**", "src/cli/**", "src/contract/**"],
    [KAFKAJS, REDIS],
  ),
  boundary(["src/main.ts"], [KAFKAJS]),
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".sandbox/**", "src/contract/openapi.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/only-throw-error": "error",
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The web page's ES modules run in the browser; tsc (web/tsconfig.json, checkJs with the DOM
    // library) already rejects undefined names there, which ESLint would not know as globals.
    files: ["web/**/*.js"],
    rules: { "no-undef": "off" },
  },
  ...boundaries,
);
