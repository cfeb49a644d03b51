import { lazy, Suspense } from 'react';
import { Loader } from '@mantine/core';

// Monaco is large: it loads with the XML tab, not with the app.
const DomainXmlTab = lazy(() => import('./DomainXmlTab').then((module) => ({ default: module.DomainXmlTab })));

export function LazyDomainXmlTab(props: { hostId: string; uuid: string; running: boolean }) {
  return (
    <Suspense fallback={<Loader size="sm" />}>
      <DomainXmlTab {...props} />
    </Suspense>
  );
}
