/**
 * An island on a server-rendered page: the component rendered here, inside a marker naming it
 * and holding its props as JSON, which the page's bundle (`islands/boot.ts`) hydrates. Props
 * must be plain data; they travel in an attribute, escaped by the renderer.
 */
import type { ComponentType } from "preact";

// deno-lint-ignore no-explicit-any
export function Island<P extends Record<string, any>>(
  props: { name: string; component: ComponentType<P>; props: P },
) {
  const Component = props.component;
  return (
    <div data-island={props.name} data-props={JSON.stringify(props.props)}>
      <Component {...props.props} />
    </div>
  );
}
