// typescript-eslint with type information: no-floating-promises and friends matter in an
// async SDK. gen/ is build output and is not linted.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["gen/**", "test/interop/gen/**", "node_modules/**", "coverage/**", "dist/**", "docs/**", "jest.config.js", "eslint.config.mjs", "test/support/*.js", "scripts/**"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      // async without await is deliberate: it turns validation throws into rejections.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      // expect.objectContaining() and friends are typed any; tests reject with non-Errors on purpose.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/prefer-promise-reject-errors": "off",
    },
  },
);
